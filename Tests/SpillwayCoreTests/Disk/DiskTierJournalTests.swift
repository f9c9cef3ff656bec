// The index journal: a sync after a few changes writes a few records, not the index; a
// reopen replays checkpoint + journal to exactly the synced index and recency; a power cut
// at every I/O step of a sync (journal batch or compaction), with torn writes, recovers
// the state before or after that sync, never anything else; scan recovery still works
// when checkpoints and journal are all corrupt. Every message carries the seed.
import Foundation
@testable import SpillwayCore
import SpillwayTesting
import Testing

/// Forwards to a SimulatedIO until `budget` requests were prepared; after that every
/// request fails with EIO (the device is gone: the power cut a test then applies with
/// `inner.crash()`).
final class PowerCutIO: IOBackend {
    let inner: SimulatedIO
    var budget = Int.max
    private(set) var prepared = 0
    private var failed: [IOCompletion] = []
    init(inner: SimulatedIO) { self.inner = inner }
    var cut: Bool { prepared > budget }
    var requiredAlignment: Int { inner.requiredAlignment }
    var queueDepth: Int { inner.queueDepth }
    func openFile(_ name: String, options: IOFileOptions) throws -> IOFileID {
        try inner.openFile(name, options: options)
    }
    func listFiles() throws -> [String] { try inner.listFiles() }
    func removeFile(_ name: String) throws { try inner.removeFile(name) }
    func fileSize(_ file: IOFileID) throws -> UInt64 { try inner.fileSize(file) }
    func reserve(_ file: IOFileID, size: UInt64) throws { try inner.reserve(file, size: size) }
    func closeFile(_ file: IOFileID) { inner.closeFile(file) }
    func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) -> Bool { false }
    func prepare(_ request: IORequest) -> Bool {
        prepared += 1
        if prepared > budget {
            failed.append(IOCompletion(userData: request.userData, result: -5))
            return true
        }
        return inner.prepare(request)
    }
    func submit() throws -> Int { try inner.submit() }
    func reap(into completions: inout [IOCompletion], minimum: Int) throws -> Int {
        let own = failed.count
        completions.append(contentsOf: failed)
        failed.removeAll()
        return own + (try inner.reap(into: &completions, minimum: max(0, minimum - own)))
    }
}

/// A tier's index as a plain list: (key, raw length) least recently used first.
typealias IndexImage = [(key: UInt64, length: Int)]

/// A seeded workload of stores (new lengths: a new version), touches, removes and loads
/// over 40 keys on a 48-page tier, so evictions reuse extents all the time.
struct JournalWorkload {
    var rng: SplitMix64
    var lengths: [UInt64: Int] = [:]
    let seed: UInt64

    init(seed: UInt64) {
        self.seed = seed
        rng = SplitMix64(seed: seed)
    }

    static func options(scan: Bool) -> DiskTierOptions {
        var options = DiskTierOptions(
            capacityBytes: 48 * 4096, blockByteCountMax: 12_000, codec: .none, jobCountMax: 4)
        options.scanRecovery = scan
        // A test reopens while the crashed tier object still exists; registered buffers
        // would be unregistered under the new tier when the old one goes away.
        options.registersBuffers = false
        return options
    }

    mutating func run<IO>(_ tier: DiskTier<IO>, steps: Int) throws {
        for _ in 0..<steps {
            let key = rng.next() % 40
            switch rng.next() % 10 {
            case 0..<5:
                let length = 500 + Int(rng.next() % 11_000)
                let outcome = try DiskTestSupport.store(tier, BlockKey(traceID: key), length: length)
                #expect(outcome == .stored, "seed \(seed): store \(key): \(outcome)")
            case 5..<7: tier.touch(BlockKey(traceID: key))
            case 7: tier.remove(BlockKey(traceID: key))
            default:
                if let length = tier.rawLength(of: BlockKey(traceID: key)) {
                    let (outcome, matches) = try DiskTestSupport.loadMatches(
                        tier, BlockKey(traceID: key), length: length)
                    #expect(matches, "seed \(seed): load \(key): \(outcome)")
                }
            }
        }
    }

    static func image<IO>(_ tier: DiskTier<IO>) -> IndexImage {
        tier.keysLeastRecentFirst().map { ($0.traceID!, tier.rawLength(of: $0)!) }
    }

    static func same(_ a: IndexImage, _ b: IndexImage) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.length == $1.length }
    }
}

@Suite("DiskTier index journal")
struct DiskTierJournalTests {
    static var seeds: [UInt64] {
        if let text = ProcessInfo.processInfo.environment["SPILLWAY_SEED"], let seed = UInt64(text)
        {
            return [seed]
        }
        let count = ProcessInfo.processInfo.environment["SPILLWAY_SOAK"] == "1" ? 1000 : 24
        return (0..<UInt64(count)).map { index in
            var mixer = SplitMix64(seed: index ^ 0x10_4E41)
            return mixer.next()
        }
    }

    @Test("a sync after a few changes appends a batch of about their size; compaction bounds it")
    func bytesFollowChanges() throws {
        let io = SimulatedIO(seed: 71, requiredAlignment: 4096)
        let tier = try DiskTier(
            io: io,
            options: DiskTierOptions(
                capacityBytes: 3000 * 4096, blockByteCountMax: 4000, codec: .none))
        for id in 0..<2000 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 1000) == .stored)
        }
        tier.journalBytesMin = 0
        try tier.sync()  // 2000 entries: the journal would exceed 1/8 of them, so a checkpoint
        #expect(tier.stats.fullCheckpoints == 2)
        let full = tier.stats.indexBytesWritten - 4096
        #expect(full == DiskCheckpoint.byteCount(entryCount: 2000))
        // 1%: 20 blocks rewritten (20 removals + 20 puts).
        for round in 0..<3 {
            let before = tier.stats.indexBytesWritten
            for id in 0..<20 as Range<UInt64> {
                let key = BlockKey(traceID: id * 97 % 2000)
                #expect(
                    try DiskTestSupport.store(tier, key, length: 1100 + round) == .stored)
            }
            try tier.sync()
            let written = tier.stats.indexBytesWritten - before
            #expect(written == DiskJournal.byteCount(removalCount: 20, putCount: 20))
            // One page: 2% of the checkpoint (a batch is whole pages).
            #expect(written * 40 < full, "a 1% sync wrote \(written) of \(full) bytes")
        }
        #expect(tier.stats.journalBatches == 3 && tier.stats.fullCheckpoints == 2)
        // Everything touched: the batch would be bigger than the journal may grow.
        for id in 0..<2000 as Range<UInt64> { tier.touch(BlockKey(traceID: id)) }
        try tier.sync()
        #expect(tier.stats.fullCheckpoints == 3 && tier.inspect().journalBatches == 0)
        // Nothing changed: nothing written.
        let before = tier.stats.indexBytesWritten
        try tier.sync()
        #expect(tier.stats.indexBytesWritten == before)
        // Removals beyond what the journal may hold (1/8 of 2,000 entries' checkpoint:
        // 341 removals) are not kept in memory: the next sync is a full checkpoint.
        for id in 0..<100 as Range<UInt64> { tier.remove(BlockKey(traceID: id)) }
        try tier.sync()
        #expect(tier.stats.journalBatches == 4 && tier.stats.fullCheckpoints == 3)
        for id in 100..<500 as Range<UInt64> { tier.remove(BlockKey(traceID: id)) }
        try tier.sync()
        #expect(tier.stats.journalBatches == 4 && tier.stats.fullCheckpoints == 4)
        tier.checkInvariants()
    }

    @Test("reopen replays checkpoint + journal to exactly the synced index and recency")
    func replayIsExact() throws {
        for seed in Self.seeds {
            let io = SimulatedIO(seed: seed, requiredAlignment: 4096)
            var workload = JournalWorkload(seed: seed)
            var tier = try DiskTier(io: io, options: JournalWorkload.options(scan: true))
            for round in 0..<12 {
                tier.journalBytesMin = 4096 * Int((seed >> 8) % 6)
                try workload.run(tier, steps: 6 + Int(workload.rng.next() % 30))
                try tier.sync()
                let synced = JournalWorkload.image(tier)
                tier.checkInvariants()
                // More changes, never synced: a power cut loses exactly them.
                try workload.run(tier, steps: Int(workload.rng.next() % 10))
                if round % 3 == 2 {
                    io.crash()
                    tier = try DiskTier(io: io, options: JournalWorkload.options(scan: true))
                    tier.checkInvariants()
                    #expect(tier.recovery == nil, "seed \(seed): \(tier.recovery as Any)")
                    let reopened = JournalWorkload.image(tier)
                    #expect(
                        JournalWorkload.same(reopened, synced),
                        "seed \(seed) round \(round): reopened \(reopened) != synced \(synced)")
                    for (key, length) in reopened {
                        let (outcome, matches) = try DiskTestSupport.loadMatches(
                            tier, BlockKey(traceID: key), length: length)
                        // An extent reused by an unsynced store fails its checks: a miss.
                        if case .loaded = outcome {
                            #expect(matches, "seed \(seed): block \(key) wrong bytes")
                        }
                    }
                }
            }
            #expect(tier.stats.recoveryDroppedEntries == 0, "seed \(seed)")
        }
    }

    /// Runs `seed`'s workload with syncs, then one more sync cut after `budget` requests and
    /// a power cut; returns (state before, state after that sync, reopened tier), or nil
    /// when the sync completed within the budget.
    static func cutSync(
        seed: UInt64, budget: Int, scan: Bool, faults: SimulatedIO.FaultPlan = .none
    ) throws -> (
        before: IndexImage, after: IndexImage, tier: DiskTier<SimulatedIO>, io: SimulatedIO
    )? {
        let inner = SimulatedIO(seed: seed ^ 0x5C, requiredAlignment: 4096, faults: faults)
        let io = PowerCutIO(inner: inner)
        var workload = JournalWorkload(seed: seed)
        let tier = try DiskTier(io: io, options: JournalWorkload.options(scan: scan))
        // Seeds alternate between a last sync that appends a batch and one that compacts.
        let compacts = seed % 2 == 0
        tier.journalBytesMin = compacts ? 0 : 1 << 20
        for _ in 0..<3 {
            try workload.run(tier, steps: 20)
            try tier.sync()
        }
        let before = JournalWorkload.image(tier)
        try workload.run(tier, steps: 25)
        let after = JournalWorkload.image(tier)
        let checkpoints = tier.stats.fullCheckpoints
        io.budget = io.prepared + budget
        do {
            try tier.sync()
            if !io.cut {
                #expect(
                    (tier.stats.fullCheckpoints > checkpoints) == compacts,
                    "seed \(seed): the cut sync did not take the path the test meant")
                return nil
            }
        } catch let error as DiskTierError {
            #expect(error.code == .syncFailed, "seed \(seed): \(error)")
        }
        inner.crash()
        let reopened = try DiskTier(io: inner, options: JournalWorkload.options(scan: scan))
        reopened.checkInvariants()
        return (before, after, reopened, inner)
    }

    @Test("a power cut at every I/O step of a sync or compaction recovers the state before or after it")
    func powerCutAtEveryStep() throws {
        var cuts = 0
        var newer = 0
        var torn = 0
        for seed in Self.seeds {
            for budget in 0..<64 {
                guard let (before, after, tier, io) = try Self.cutSync(seed: seed, budget: budget, scan: false)
                else { break }
                cuts += 1
                torn += io.faultCounts.crashTornWrites
                let reopened = JournalWorkload.image(tier)
                let isBefore = JournalWorkload.same(reopened, before)
                let isAfter = JournalWorkload.same(reopened, after)
                if isAfter && !isBefore { newer += 1 }
                #expect(
                    isBefore || isAfter,
                    "seed \(seed) cut after \(budget) requests: reopened \(reopened), before \(before), after \(after)")
                for (key, length) in reopened {
                    let (outcome, matches) = try DiskTestSupport.loadMatches(
                        tier, BlockKey(traceID: key), length: length)
                    if case .loaded = outcome {
                        #expect(matches, "seed \(seed) cut \(budget): block \(key) wrong bytes")
                    } else {
                        // Only a block the cut sync changed may fail (its extent reused by
                        // a store the reopened index does not hold).
                        #expect(
                            !after.contains { $0.key == key && $0.length == length },
                            "seed \(seed) cut \(budget): block \(key) lost: \(outcome)")
                    }
                }
            }
        }
        // The cuts must have hit every step, including ones that kept the new state and
        // torn writes.
        #expect(cuts == Self.seeds.count * 3 && newer > 0 && torn > 0, "cuts \(cuts), newer \(newer), torn \(torn)")
    }

    @Test("with scan recovery, a power cut in a sync never loses a block the previous sync promised")
    func powerCutWithScan() throws {
        for seed in Self.seeds.prefix(12) {
            for budget in 0..<64 {
                guard let (before, after, tier, _) = try Self.cutSync(seed: seed, budget: budget, scan: true)
                else { break }
                for (key, length) in JournalWorkload.image(tier) {
                    let (outcome, matches) = try DiskTestSupport.loadMatches(
                        tier, BlockKey(traceID: key), length: length)
                    if case .loaded = outcome { #expect(matches, "seed \(seed): \(key) wrong bytes") }
                }
                // Promised before the cut sync and unchanged by the workload after it.
                for (key, length) in before where after.contains(where: { $0.key == key && $0.length == length }) {
                    let (outcome, matches) = try DiskTestSupport.loadMatches(
                        tier, BlockKey(traceID: key), length: length)
                    #expect(
                        outcome == .loaded(byteCount: length) && matches,
                        "seed \(seed) cut \(budget): promised block \(key) lost: \(outcome)")
                }
            }
        }
    }

    @Test("both checkpoints and the journal corrupt: the scan recovers every block")
    func everythingCorrupt() throws {
        let io = SimulatedIO(seed: 72, requiredAlignment: 4096)
        do {
            let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
            for id in 0..<10 as Range<UInt64> {
                #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 5000) == .stored)
                try tier.sync()  // generation 1 + one batch per block
            }
            #expect(tier.inspect().journalBatches == 10)
        }  // dropped without close: the journal stays
        // Break the batch of block 4 (its records) and both slot headers.
        #expect(io.corrupt(fileNamed: DiskLayout.journalFileName, offset: 4 * 4096 + 100, xor: 1))
        var checkpointOnly = DiskTierOptions()
        checkpointOnly.scanRecovery = false
        let partial = try DiskTier(io: io, options: checkpointOnly)
        #expect(partial.recovery?.corruptCheckpoints == [DiskLayout.journalFileName])
        #expect(partial.blockCount == 4, "batches before the damaged one apply")
        partial.checkInvariants()
        _ = consume partial
        for name in DiskLayout.checkpointFileNames { _ = io.corrupt(fileNamed: name, offset: 8, xor: 1) }
        let tier = try DiskTier(io: io, options: DiskTierOptions())
        #expect(tier.recovery?.scanned == true)
        for id in 0..<10 as Range<UInt64> {
            let (outcome, matches) = try DiskTestSupport.loadMatches(tier, BlockKey(traceID: id), length: 5000)
            #expect(outcome == .loaded(byteCount: 5000) && matches, "block \(id)")
        }
        tier.checkInvariants()
        try tier.close()
        let clean = try DiskTier(io: io, options: DiskTierOptions())
        #expect(clean.recovery == nil && clean.blockCount == 10)
    }

    @Test("a version-1 checkpoint (written before the journal) still opens")
    func versionOneCheckpoint() throws {
        let io = SimulatedIO(seed: 73, requiredAlignment: 4096)
        do {
            let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 5), length: 3000) == .stored)
            try tier.close()  // generation 2, slot a
        }
        var bytes = io.contents(ofFileNamed: DiskLayout.checkpointFileNames[0])!
        #expect(bytes[4] == UInt8(DiskCheckpoint.version))
        bytes[4] = 1
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[60 + i] = $0[i] } }
        io.replaceContents(ofFileNamed: DiskLayout.checkpointFileNames[0], with: bytes)
        try io.removeFile(DiskLayout.journalFileName)
        let tier = try DiskTier(io: io, options: DiskTierOptions())
        #expect(tier.recovery == nil && tier.inspect().checkpointGeneration == 2)
        let (outcome, matches) = try DiskTestSupport.loadMatches(tier, BlockKey(traceID: 5), length: 3000)
        #expect(outcome == .loaded(byteCount: 3000) && matches)
    }

    @Test("journal batches decode only in their chain; a bad last batch is an incomplete tail, a bad batch before a valid one is damage")
    func decoderChain() throws {
        let page = 4096
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 3 * page, alignment: page)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 3 * page)
        let entry = DiskCheckpointEntry(
            key: BlockKey(traceID: 9), codec: .none, pageIndex: 3, pageCount: 1, rawLength: 100,
            storedLength: 100, payloadCRC: 77, sequence: 5)
        let first = DiskJournal.encode(
            baseGeneration: 4, baseCRC: 0xAB, number: 1, nextSequence: 6, previousCRC: 0,
            removals: [BlockKey(traceID: 2)], puts: [entry], into: buffer)
        DiskJournal.encode(
            baseGeneration: 4, baseCRC: 0xAB, number: 2, nextSequence: 7, previousCRC: first,
            removals: [], puts: [entry], into: buffer + page)
        var found = DiskJournal.scan(buffer, count: 3 * page, baseGeneration: 4, baseCRC: 0xAB)
        #expect(found.batches.map(\.batch.number) == [1, 2] && !found.damaged)
        #expect(DiskJournal.removal(0, from: buffer) == BlockKey(traceID: 2))
        #expect(DiskJournal.put(0, of: found.batches[0].batch, from: buffer) == entry)
        #expect(DiskJournal.scan(buffer, count: 3 * page, baseGeneration: 4, baseCRC: 0xAC).batches.isEmpty)
        #expect(DiskJournal.scan(buffer, count: 3 * page, baseGeneration: 5, baseCRC: 0xAB).batches.isEmpty)
        // A flipped record byte in the last batch: an incomplete tail (a sync cut before its
        // fdatasync), not damage; batch 1 applies.
        (buffer + page + 100).storeBytes(of: 0xFF, as: UInt8.self)
        found = DiskJournal.scan(buffer, count: 3 * page, baseGeneration: 4, baseCRC: 0xAB)
        #expect(found.batches.count == 1 && !found.damaged && found.incompleteTail)
        // The cut batch's header is valid: its nextSequence (7) is what the reopened tier
        // must not hand out again (records up to it may be durable).
        #expect(found.uncommittedNextSequence == 7)
        // Batch 2 re-encoded with a broken link: a header of this chain that does not follow
        // is no clean end (batches are only appended), so it is damage.
        DiskJournal.encode(
            baseGeneration: 4, baseCRC: 0xAB, number: 2, nextSequence: 7, previousCRC: first ^ 1,
            removals: [], puts: [entry], into: buffer + page)
        found = DiskJournal.scan(buffer, count: 3 * page, baseGeneration: 4, baseCRC: 0xAB)
        #expect(found.batches.count == 1 && found.damaged && !found.incompleteTail)
        #expect(found.uncommittedNextSequence == 0)
        // Batch 2 valid again; batch 1's magic destroyed: the later batch makes it damage,
        // not a silent end of the journal.
        DiskJournal.encode(
            baseGeneration: 4, baseCRC: 0xAB, number: 2, nextSequence: 7, previousCRC: first,
            removals: [], puts: [entry], into: buffer + page)
        buffer.storeBytes(of: 0, as: UInt8.self)
        found = DiskJournal.scan(buffer, count: 3 * page, baseGeneration: 4, baseCRC: 0xAB)
        #expect(found.batches.isEmpty && found.damaged)
        buffer.storeBytes(of: UInt8(truncatingIfNeeded: DiskJournal.magic), as: UInt8.self)
        // A flipped record byte in batch 1 with batch 2 after it: damaged, nothing applies.
        (buffer + 100).storeBytes(of: 0xFF, as: UInt8.self)
        found = DiskJournal.scan(buffer, count: 3 * page, baseGeneration: 4, baseCRC: 0xAB)
        #expect(found.batches.isEmpty && found.damaged && !found.incompleteTail)
    }
}
