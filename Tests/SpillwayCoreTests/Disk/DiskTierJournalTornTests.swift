// An interrupted sync is not damage: a power cut that tears the journal batch of the last
// sync reopens on exactly the previous sync's index (or the cut one's, when its batch landed
// whole) without a scan, even when that batch removed a checkpointed block whose extent was
// reused (the block comes back and fails its record checks: never served). A bad batch with
// valid batches after it stays damage, and after a recovery by scan the journal is reset,
// so the next open is clean. Every message carries the seed.
@testable import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier journal: interrupted syncs")
struct DiskTierJournalTornTests {
    /// Every unsynced write torn (each 512-byte sector lands or not) or, with `whole`, applied.
    static func crashFaults(whole: Bool) -> SimulatedIO.FaultPlan {
        SimulatedIO.FaultPlan(crashDrop: 0, crashTear: whole ? 0 : 1)
    }

    @Test("a power cut at every step of a journal sync reopens on the previous or the cut sync, without a scan")
    func cutBatchNeverScans() throws {
        var discarded = 0
        var newer = 0
        for seed in DiskTierJournalTests.seeds where seed % 2 == 1 {  // odd: the sync appends a batch
            for budget in 0..<64 {
                guard
                    let (before, after, tier, _) = try DiskTierJournalTests.cutSync(
                        seed: seed, budget: budget, scan: true, faults: Self.crashFaults(whole: false))
                else { break }
                #expect(tier.recovery == nil, "seed \(seed) cut \(budget): \(tier.recovery?.summary ?? "")")
                discarded += tier.stats.uncommittedSyncsDiscarded
                let reopened = JournalWorkload.image(tier)
                let isBefore = JournalWorkload.same(reopened, before)
                if !isBefore && JournalWorkload.same(reopened, after) { newer += 1 }
                #expect(
                    isBefore || JournalWorkload.same(reopened, after),
                    "seed \(seed) cut \(budget): reopened \(reopened), before \(before), after \(after)")
                for (key, length) in reopened {
                    let (outcome, matches) = try DiskTestSupport.loadMatches(
                        tier, BlockKey(traceID: key), length: length)
                    if case .loaded = outcome { #expect(matches, "seed \(seed): \(key) wrong bytes") }
                }
            }
        }
        // Torn batches whose header landed were met (and discarded, not scanned).
        #expect(discarded > 0, "discarded \(discarded), newer \(newer)")
    }

    /// The first page of `key`'s extent in the index, or nil.
    static func extent<IO>(_ tier: DiskTier<IO>, _ key: BlockKey) -> Int32? {
        guard let slot = tier.table.lookup(key) else { return nil }
        return tier.table.entries[Int(slot)].pageIndex
    }

    /// A full tier (120 one-page blocks in 120 pages) checkpointed, then block 7 removed and
    /// block 1000 stored into its extent (the only free page), every other block touched (a
    /// 3-page batch), then a sync cut after its journal write, and a power cut. Returns the
    /// reopened tier, the extent, and whether the cut sync's batch decides the result.
    static func reusedExtentCut(seed: UInt64, whole: Bool) throws -> (
        tier: DiskTier<SimulatedIO>, extent: Int32
    ) {
        let inner = SimulatedIO(seed: seed, requiredAlignment: 4096, faults: crashFaults(whole: whole))
        let io = PowerCutIO(inner: inner)
        var options = DiskTierOptions(
            capacityBytes: 120 * 4096, blockByteCountMax: 3000, codec: .none, jobCountMax: 4)
        options.registersBuffers = false
        let tier = try DiskTier(io: io, options: options)
        for id in 0..<120 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 3000) == .stored)
        }
        try tier.sync(compact: true)  // a full checkpoint lists block 7 at its extent
        let victim = BlockKey(traceID: 7)
        let extent = try #require(Self.extent(tier, victim))
        #expect(tier.remove(victim))
        let reuser = BlockKey(traceID: 1000)
        #expect(try DiskTestSupport.store(tier, reuser, length: 3000) == .stored)
        #expect(
            Self.extent(tier, reuser) == extent,
            "seed \(seed): the store did not reuse the removed block's extent")
        for id in 0..<120 as Range<UInt64> where id != 7 { tier.touch(BlockKey(traceID: id)) }
        let batches = tier.stats.journalBatches
        // The data fdatasync and the journal write run; the journal's fdatasync fails.
        io.budget = io.prepared + 2
        #expect(throws: DiskTierError.self) { try tier.sync() }
        #expect(tier.stats.journalBatches == batches && inner.unsyncedByteCount == 3 * 4096)
        inner.crash()
        let reopened = try DiskTier(io: inner, options: options)
        reopened.checkInvariants()
        return (reopened, extent)
    }

    @Test("a torn batch that removed a checkpointed block whose extent was reused: the block is back and never served")
    func tornBatchOverReusedExtent() throws {
        var headerLanded = 0
        for seed in 1...8 as ClosedRange<UInt64> {
            let (tier, extent) = try Self.reusedExtentCut(seed: seed, whole: false)
            // Exactly the checkpoint: block 7 listed at the reused extent, block 1000 absent.
            #expect(tier.recovery == nil, "seed \(seed): \(tier.recovery?.summary ?? "")")
            headerLanded += tier.stats.uncommittedSyncsDiscarded
            #expect(tier.blockCount == 120 && !tier.contains(BlockKey(traceID: 1000)), "seed \(seed)")
            #expect(Self.extent(tier, BlockKey(traceID: 7)) == extent, "seed \(seed)")
            // Its extent holds block 1000's record (durable before the batch was written).
            let (outcome, _) = try DiskTestSupport.loadMatches(tier, BlockKey(traceID: 7), length: 3000)
            #expect(outcome == .failed(.keyMismatch), "seed \(seed): \(outcome)")
            #expect(!tier.contains(BlockKey(traceID: 7)) && tier.stats.keyMismatch == 1)
            for id in 0..<120 as Range<UInt64> where id != 7 {
                let (outcome, matches) = try DiskTestSupport.loadMatches(tier, BlockKey(traceID: id), length: 3000)
                #expect(outcome == .loaded(byteCount: 3000) && matches, "seed \(seed): block \(id)")
            }
            // The tier goes on: the next batch overwrites the torn one, and reopens cleanly.
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 2000), length: 3000) == .stored)
            try tier.sync()
            let expected = tier.keysLeastRecentFirst()
            tier.io.crash()
            let again = try DiskTier(io: tier.io, options: DiskTierOptions())
            #expect(again.recovery == nil && again.stats.uncommittedSyncsDiscarded == 0, "seed \(seed)")
            #expect(again.keysLeastRecentFirst() == expected, "seed \(seed)")
        }
        // The interesting case (the torn batch's header on disk, its records not) was met.
        #expect(headerLanded > 0, "header landed in \(headerLanded) of 8 cuts")
    }

    @Test("the cut batch landed whole: the reopen holds its state, the reused extent serves its new block")
    func wholeBatchOverReusedExtent() throws {
        let (tier, extent) = try Self.reusedExtentCut(seed: 3, whole: true)
        #expect(tier.recovery == nil && tier.stats.uncommittedSyncsDiscarded == 0)
        #expect(tier.blockCount == 120 && !tier.contains(BlockKey(traceID: 7)))
        #expect(Self.extent(tier, BlockKey(traceID: 1000)) == extent)
        let (outcome, matches) = try DiskTestSupport.loadMatches(tier, BlockKey(traceID: 1000), length: 3000)
        #expect(outcome == .loaded(byteCount: 3000) && matches)
    }

    /// Ten blocks, each synced on its own (checkpoint, then batches 1...10), the tier dropped
    /// without close.
    static func tenBatches(seed: UInt64) throws -> SimulatedIO {
        let io = SimulatedIO(seed: seed, requiredAlignment: 4096)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        for id in 0..<10 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 5000) == .stored)
            try tier.sync()
        }
        #expect(tier.inspect().journalBatches == 10)
        return io
    }

    @Test("a damaged first journal page: the open scans once, resets the journal, the next open is clean")
    func scanResetsJournal() throws {
        let io = try Self.tenBatches(seed: 74)
        // Batch 1's header (the journal's first page) fails its CRC: damage of the journal.
        #expect(io.corrupt(fileNamed: DiskLayout.journalFileName, offset: 20, xor: 1))
        let first = try DiskTier(io: io, options: DiskTierOptions())
        #expect(first.recovery?.scanned == true && first.recovery?.corruptCheckpoints == [DiskLayout.journalFileName])
        #expect(first.blockCount == 10)
        _ = consume first  // dropped without close
        io.crash()
        let second = try DiskTier(io: io, options: DiskTierOptions())
        #expect(second.recovery == nil, "second open: \(second.recovery?.summary ?? "")")
        #expect(second.blockCount == 10)
        for id in 0..<10 as Range<UInt64> {
            let (outcome, matches) = try DiskTestSupport.loadMatches(second, BlockKey(traceID: id), length: 5000)
            #expect(outcome == .loaded(byteCount: 5000) && matches, "block \(id)")
        }
    }

    @Test("a bad batch before valid ones is damage (scan); a bad last batch is an incomplete sync (not applied)")
    func damageVersusIncompleteTail() throws {
        // Records of batch 5 of 10 flipped: completed syncs follow it, so it is damage.
        var io = try Self.tenBatches(seed: 75)
        #expect(io.corrupt(fileNamed: DiskLayout.journalFileName, offset: 4 * 4096 + 100, xor: 1))
        var checkpointOnly = DiskTierOptions()
        checkpointOnly.scanRecovery = false
        let partial = try DiskTier(io: io, options: checkpointOnly)
        #expect(partial.recovery?.corruptCheckpoints == [DiskLayout.journalFileName] && partial.blockCount == 4)
        // Without a scan the next sync compacts: no batch is chained in front of the damage.
        #expect(try DiskTestSupport.store(partial, BlockKey(traceID: 20), length: 5000) == .stored)
        try partial.sync()
        #expect(partial.stats.fullCheckpoints == 1 && partial.stats.journalBatches == 0)
        _ = consume partial
        let synced = try DiskTier(io: io, options: DiskTierOptions())
        #expect(synced.recovery == nil && synced.blockCount == 5, "\(synced.recovery?.summary ?? "")")
        _ = consume synced
        io = try Self.tenBatches(seed: 75)
        #expect(io.corrupt(fileNamed: DiskLayout.journalFileName, offset: 4 * 4096 + 100, xor: 1))
        let damaged = try DiskTier(io: io, options: DiskTierOptions())
        #expect(damaged.recovery?.scanned == true && damaged.blockCount == 10)
        // The same flip in batch 10, the last: read as the torn batch of a cut sync (the
        // two cannot be told apart), so the index is that of batch 9: block 9 is not listed.
        io = try Self.tenBatches(seed: 75)
        #expect(io.corrupt(fileNamed: DiskLayout.journalFileName, offset: 9 * 4096 + 100, xor: 1))
        let tail = try DiskTier(io: io, options: DiskTierOptions())
        #expect(tail.recovery == nil && tail.stats.uncommittedSyncsDiscarded == 1)
        #expect(tail.blockCount == 9 && !tail.contains(BlockKey(traceID: 9)))
    }
}
