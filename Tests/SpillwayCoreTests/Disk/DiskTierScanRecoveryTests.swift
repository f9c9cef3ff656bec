// Recovery by scan: a corrupt checkpoint slot (or both) never turns a kept tier into an
// empty or smaller one — the index is rebuilt from the data file's record headers, every
// intact block comes back, newest version first, and no wrong byte is served.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier recovery by scan")
struct DiskTierScanRecoveryTests {
    static let blockCount = 2000
    static let length = 3000  // 128 + 3000 bytes: one page per block

    /// A tier like `replay --data --keep` leaves it: created (generation 1, empty, slot b),
    /// filled, synced once at close (generation 2, slot a). Keys 0..<2000; keys 0..<100 were
    /// removed and stored again as bf16 (a newer record of the same key).
    static func keptTier() throws -> SimulatedIO {
        let io = SimulatedIO(seed: 91, requiredAlignment: 4096, queueDepth: 32, faults: .none)
        let tier = try DiskTier(
            io: io,
            options: DiskTestSupport.options(
                capacity: (blockCount + 200) * 4096, blockMax: length, jobs: 32))
        for key in 0..<UInt64(blockCount) {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: key), length: length) == .stored)
        }
        for key in 0..<UInt64(100) {
            #expect(tier.remove(BlockKey(traceID: key)))
            #expect(
                try DiskTestSupport.store(tier, BlockKey(traceID: key), length: length, kind: .bf16)
                    == .stored)
        }
        try tier.close()
        return io
    }

    /// Opens the tier and checks every key: each present key loads its newest payload
    /// exactly; returns how many are present.
    static func checkAll(_ io: SimulatedIO) throws -> (tier: DiskTier<SimulatedIO>, present: Int) {
        let tier = try DiskTier(io: io, options: DiskTierOptions())
        var present = 0
        for key in 0..<UInt64(blockCount) where tier.contains(BlockKey(traceID: key)) {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: key), length: length, kind: key < 100 ? .bf16 : .random)
            #expect(outcome == .loaded(byteCount: length) && matches, "block \(key): \(outcome)")
            if matches { present += 1 }
        }
        return (tier, present)
    }

    @Test("one flipped bit in the newest checkpoint: every block recovered by scan, reported")
    func newestSlotCorrupt() throws {
        let io = try Self.keptTier()
        // Generation 2 is in slot a; slot b holds the empty generation 1.
        #expect(
            io.corrupt(
                fileNamed: DiskLayout.checkpointFileNames[0],
                offset: DiskCheckpoint.headerBytes + 96 * 1234 + 40, xor: 0x04))
        let (tier, present) = try Self.checkAll(io)
        #expect(present == Self.blockCount, "recovered \(present) of \(Self.blockCount)")
        let recovery = try #require(tier.recovery)
        #expect(recovery.corruptCheckpoints == [DiskLayout.checkpointFileNames[0]])
        #expect(recovery.scanned && recovery.checkpointGeneration == 1)
        #expect(recovery.recoveredByScan == Self.blockCount && recovery.blocks == Self.blockCount)
        #expect(recovery.summary.contains("corrupt checkpoint spillway-index.a"))
        // The writable open rewrote both slots: the next open is clean and complete.
        try tier.close()
        let (again, presentAgain) = try Self.checkAll(io)
        #expect(again.recovery == nil && presentAgain == Self.blockCount)
    }

    @Test("both checkpoints corrupt and some records torn: every intact block back, none wrong")
    func bothSlotsCorruptAndTornRecords() throws {
        let io = try Self.keptTier()
        for name in DiskLayout.checkpointFileNames {
            #expect(io.corrupt(fileNamed: name, offset: 8, xor: 0x01))
        }
        // Ten payloads damaged in place (each block is one page).
        let damagedPages = Array(stride(from: 500, to: 1500, by: 100))
        for page in damagedPages {
            #expect(io.corrupt(fileNamed: DiskLayout.dataFileName, offset: page * 4096 + 1000, xor: 0x80))
        }
        let (tier, present) = try Self.checkAll(io)
        let recovery = try #require(tier.recovery)
        #expect(recovery.corruptCheckpoints == DiskLayout.checkpointFileNames)
        #expect(recovery.checkpointGeneration == nil)
        #expect(recovery.rejectedRecords >= damagedPages.count)
        #expect(present == Self.blockCount - damagedPages.count, "recovered \(present)")
        #expect(tier.blockCount == present)
    }

    @Test("a valid newest checkpoint is trusted without a scan; an open without damage is clean")
    func cleanOpenDoesNotScan() throws {
        let io = try Self.keptTier()
        let (tier, present) = try Self.checkAll(io)
        #expect(tier.recovery == nil && present == Self.blockCount)
    }

    @Test("a crash tearing the very first checkpoint leaves a directory that reopens, empty and reported")
    func tornFirstCheckpoint() throws {
        let io = SimulatedIO(seed: 17, requiredAlignment: 4096, queueDepth: 8, faults: .none)
        _ = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 64 * 4096))
        // Generation 1 went to slot b; tear its header as a crash mid-write would.
        #expect(io.corrupt(fileNamed: DiskLayout.checkpointFileNames[1], offset: 20, xor: 0xFF))
        let reader = try DiskTier(io: io, options: DiskTierOptions())
        #expect(reader.blockCount == 0)
        #expect(reader.recovery?.corruptCheckpoints == [DiskLayout.checkpointFileNames[1]])
        #expect(reader.capacityBytes == 64 * 4096)
        try reader.close()  // rewrites both slots
        let writer = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 64 * 4096))
        #expect(writer.recovery == nil)
        #expect(try DiskTestSupport.store(writer, BlockKey(traceID: 1), length: 3000) == .stored)
        try writer.close()
    }

    @Test("a checkpoint whose generation is near 2^64 is corrupt, never incremented")
    func hugeGenerationIsCorrupt() throws {
        let io = try Self.keptTier()
        // Rewrite slot a's generation to 2^64 - 1 with a valid header CRC.
        let name = DiskLayout.checkpointFileNames[0]
        let original = try #require(io.contents(ofFileNamed: name))
        var page = Array(original[0..<64])
        for index in 8..<16 { page[index] = 0xFF }
        let crc = page.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60]))
        }
        for index in 0..<4 { page[60 + index] = UInt8(truncatingIfNeeded: crc >> (8 * index)) }
        for index in 0..<64 where page[index] != original[index] {
            #expect(io.corrupt(fileNamed: name, offset: index, xor: page[index] ^ original[index]))
        }
        let (tier, present) = try Self.checkAll(io)
        #expect(tier.recovery?.corruptCheckpoints == [DiskLayout.checkpointFileNames[0]])
        #expect(present == Self.blockCount)
        try tier.sync()  // must not overflow
    }
}

@Suite("DiskTier staging budget")
struct DiskTierStagingBudgetTests {
    @Test("jobs in flight are capped by the staging budget; a budget below one buffer is refused")
    func budget() throws {
        var options = DiskTierOptions(
            capacityBytes: 1 << 24, blockByteCountMax: 1 << 20, jobCountMax: 4096)
        options.stagingBytesMax = 8 << 20
        let io = SimulatedIO(seed: 3, requiredAlignment: 4096, queueDepth: 4096, faults: .none)
        let tier = try DiskTier(io: io, options: options)
        // One buffer: 1 MiB + 128 bytes rounded to pages = 1 MiB + 4 KiB; 7 fit in 8 MiB.
        #expect(tier.jobCapacity == 7)
        try tier.close()
        options.stagingBytesMax = 1 << 20
        #expect {
            try DiskTier(
                io: SimulatedIO(seed: 4, requiredAlignment: 4096, queueDepth: 64, faults: .none),
                options: options)
        } throws: { error in
            let text = "\(error)"
            return (error as? DiskTierError)?.code == .invalidOptions
                && text.contains("1052672 bytes") && text.contains("1048576 bytes")
        }
    }
}
