// Zero-copy records: page-aligned raw blocks written and read in place (header page of
// their own), read back staged as well, surviving a checkpoint and a reopen, never served
// when only the payload or only the header reached the disk, and old inline records still
// readable by a zero-copy tier.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("Disk tier zero-copy records")
struct DiskTierZeroCopyTests {
    static let blockBytes = 16384

    static func tier(_ io: SimulatedIO, zeroCopy: Bool, create: Bool = true) throws
        -> DiskTier<SimulatedIO>
    {
        var options = DiskTierOptions(
            capacityBytes: create ? 64 * 4096 : nil, blockByteCountMax: blockBytes,
            jobCountMax: 4)
        options.zeroCopy = zeroCopy
        return try DiskTier(io: io, options: options)
    }

    static func key(_ index: Int) -> BlockKey { BlockKey(traceID: UInt64(index)) }

    /// Stores through the async path from an aligned buffer, then waits.
    static func storeAsync(_ tier: DiskTier<SimulatedIO>, _ key: BlockKey, _ source: IOTestBuffer)
        throws -> DiskStoreOutcome
    {
        #expect(tier.submitStore(key: key, bytes: UnsafeRawBufferPointer(source.bytes), token: 1))
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        guard case .store(let outcome) = completions.first?.outcome else {
            Issue.record("no store completion")
            return .failed(.noRoom)
        }
        return outcome
    }

    /// Loads `key` into `buffer` and expects `source`'s bytes there.
    static func expectLoad(
        _ tier: DiskTier<SimulatedIO>, _ key: BlockKey, into buffer: UnsafeMutableRawBufferPointer,
        equals source: IOTestBuffer
    ) throws {
        #expect(try tier.load(key: key, into: buffer) == .loaded(byteCount: source.byteCount))
        #expect(buffer.elementsEqual(source.bytes))
    }

    @Test("aligned raw blocks round-trip in place and staged, across sync and reopen")
    func roundTrip() throws {
        for alignment in [1, 4096] {
            let io = SimulatedIO(seed: 7, requiredAlignment: alignment, queueDepth: 4)
            let tier = try Self.tier(io, zeroCopy: true)
            let source = IOTestBuffer(byteCount: Self.blockBytes)
            source.fillPattern(seed: 11)
            #expect(try Self.storeAsync(tier, Self.key(1), source) == .stored)
            // 1 header page + 4 payload pages.
            #expect(tier.usedBytes == 5 * 4096)
            let aligned = IOTestBuffer(byteCount: Self.blockBytes)
            try Self.expectLoad(tier, Self.key(1), into: aligned.bytes, equals: source)
            #expect(tier.stats.zeroCopyStores == 1 && tier.stats.zeroCopyLoads == 1)
            // An unaligned destination reads the same record through staging.
            let wide = IOTestBuffer(byteCount: Self.blockBytes + 1)
            let unaligned = UnsafeMutableRawBufferPointer(rebasing: wide.bytes[1...])
            try Self.expectLoad(tier, Self.key(1), into: unaligned, equals: source)
            try tier.close()
            let reopened = try Self.tier(io, zeroCopy: false, create: false)
            let again = IOTestBuffer(byteCount: Self.blockBytes)
            try Self.expectLoad(reopened, Self.key(1), into: again.bytes, equals: source)
            try reopened.close()
        }
    }

    @Test("inline records of a tier written without zero-copy stay readable")
    func oldRecords() throws {
        let io = SimulatedIO(seed: 9, requiredAlignment: 4096, queueDepth: 4)
        let plain = try Self.tier(io, zeroCopy: false)
        let source = IOTestBuffer(byteCount: Self.blockBytes)
        source.fillPattern(seed: 3)
        #expect(try Self.storeAsync(plain, Self.key(2), source) == .stored)
        try plain.close()
        let tier = try Self.tier(io, zeroCopy: true, create: false)
        let destination = IOTestBuffer(byteCount: Self.blockBytes)
        try Self.expectLoad(tier, Self.key(2), into: destination.bytes, equals: source)
        try tier.close()
    }

    @Test("a payload corrupted on disk fails its in-place CRC check and is dropped")
    func corruptPayload() throws {
        let io = SimulatedIO(seed: 5, requiredAlignment: 4096, queueDepth: 4)
        let tier = try Self.tier(io, zeroCopy: true)
        let source = IOTestBuffer(byteCount: Self.blockBytes)
        source.fillPattern(seed: 5)
        #expect(try Self.storeAsync(tier, Self.key(3), source) == .stored)
        io.faults.readBitFlip = 1
        let destination = IOTestBuffer(byteCount: Self.blockBytes)
        let outcome = try tier.load(key: Self.key(3), into: destination.bytes)
        #expect(outcome == .failed(.checksumMismatch))
        #expect(!tier.contains(Self.key(3)))
        io.faults.readBitFlip = 0
        try tier.close()
    }

    @Test("the payload is written first, the header page only after it completed")
    func headerLast() throws {
        let io = SimulatedIO(seed: 13, requiredAlignment: 4096, queueDepth: 4)
        let tier = try Self.tier(io, zeroCopy: true)
        let source = IOTestBuffer(byteCount: Self.blockBytes)
        source.fillPattern(seed: 2)
        #expect(tier.submitStore(key: Self.key(4), bytes: UnsafeRawBufferPointer(source.bytes), token: 2))
        // Only the payload request is prepared: run it alone.
        try io.submit()
        let data = io.contents(ofFileNamed: DiskLayout.dataFileName)!
        #expect(data[0..<4096].allSatisfy { $0 == 0 }, "the header page was written before the payload")
        #expect(data[4096..<(4096 + Self.blockBytes)].elementsEqual(source.bytes))
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        #expect(completions.map(\.outcome) == [.store(.stored)])
        let written = io.contents(ofFileNamed: DiskLayout.dataFileName)!
        let header = written.withUnsafeBytes { DiskRecordHeader.decode(from: $0.baseAddress!) }
        #expect(header?.key == Self.key(4) && header?.separateHeaderPage == true)
        try tier.close()
    }
}

@Suite("Disk tier zero-copy records: recovery by scan")
struct DiskTierZeroCopyScanTests {
    @Test("with both checkpoints corrupt, a scan recovers zero-copy and inline records alike")
    func scanRecoversBothLayouts() throws {
        let io = SimulatedIO(seed: 21, requiredAlignment: 4096, queueDepth: 4)
        let tier = try DiskTierZeroCopyTests.tier(io, zeroCopy: true)
        var sources: [IOTestBuffer] = []
        for index in 0..<4 {
            let source = IOTestBuffer(byteCount: DiskTierZeroCopyTests.blockBytes)
            source.fillPattern(seed: UInt64(100 + index))
            sources.append(source)
            // Blocks 0 and 2 in place; 1 and 3 from unaligned memory, so staged and inline.
            if index % 2 == 0 {
                #expect(
                    try DiskTierZeroCopyTests.storeAsync(tier, DiskTierZeroCopyTests.key(index), source)
                        == .stored)
            } else {
                let wide = IOTestBuffer(byteCount: source.byteCount + 1)
                let unaligned = UnsafeMutableRawBufferPointer(rebasing: wide.bytes[1...])
                unaligned.copyMemory(from: UnsafeRawBufferPointer(source.bytes))
                #expect(
                    try tier.store(key: DiskTierZeroCopyTests.key(index), bytes: UnsafeRawBufferPointer(unaligned))
                        == .stored)
            }
        }
        #expect(tier.stats.zeroCopyStores == 2)
        try tier.close()
        for name in DiskLayout.checkpointFileNames {
            #expect(io.corrupt(fileNamed: name, offset: 8, xor: 1))
        }
        let reopened = try DiskTierZeroCopyTests.tier(io, zeroCopy: true, create: false)
        #expect(reopened.recovery?.scanned == true && reopened.recovery?.scannedRecords == 4)
        for (index, source) in sources.enumerated() {
            let destination = IOTestBuffer(byteCount: source.byteCount)
            try DiskTierZeroCopyTests.expectLoad(
                reopened, DiskTierZeroCopyTests.key(index), into: destination.bytes, equals: source)
        }
        try reopened.close()
    }
}
