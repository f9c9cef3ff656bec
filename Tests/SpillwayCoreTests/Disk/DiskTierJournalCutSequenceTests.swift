// Sequence numbers after a sync cut by a power cut (docs/DISK_FORMAT.md, "End, interrupted
// syncs and damage"): the cut sync's data fdatasync may have made records numbered up to its
// batch's next sequence durable, so when the open finds that batch incomplete (header valid,
// records torn) the reopened tier numbers every later store above it. The next life's
// batch, written over the torn one, replays exactly on the open after. Every message
// carries the seed.
@testable import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier journal: sequences after a cut batch")
struct DiskTierJournalCutSequenceTests {
    static func options() -> DiskTierOptions {
        var options = DiskTierOptions(
            capacityBytes: 200 * 4096, blockByteCountMax: 3000, codec: .none, jobCountMax: 4)
        options.registersBuffers = false
        return options
    }

    /// The sequence of `key`'s index entry, or nil.
    static func sequence<IO>(_ tier: DiskTier<IO>, _ key: UInt64) -> UInt64? {
        tier.table.lookup(BlockKey(traceID: key)).map { tier.table.entries[Int($0)].sequence }
    }

    static func store<IO>(_ tier: DiskTier<IO>, _ keys: Range<UInt64>, length: Int, seed: UInt64)
        throws
    {
        for key in keys {
            let outcome = try DiskTestSupport.store(tier, BlockKey(traceID: key), length: length)
            #expect(outcome == .stored, "seed \(seed): store \(key)")
        }
    }

    @Test("a torn last batch: the reopened tier numbers its stores above the cut batch's next sequence, and its own batch replays exactly")
    func sequencesAboveCutBatch() throws {
        var landed = 0
        for seed in 1...16 as ClosedRange<UInt64> {
            // Every unsynced write torn: each 512-byte sector lands or not.
            let inner = SimulatedIO(
                seed: seed, requiredAlignment: 4096,
                faults: SimulatedIO.FaultPlan(crashDrop: 0, crashTear: 1))
            let io = PowerCutIO(inner: inner)
            let tier = try DiskTier(io: io, options: Self.options())
            try Self.store(tier, 0..<20, length: 3000, seed: seed)
            try tier.sync(compact: true)
            try Self.store(tier, 20..<30, length: 3000, seed: seed)
            #expect(tier.remove(BlockKey(traceID: 3)))
            try tier.sync()  // batch 1
            let before = JournalWorkload.image(tier)
            // The life the power cut ends: new blocks, new versions of old ones, a removal.
            try Self.store(tier, 30..<40, length: 3000, seed: seed)
            try Self.store(tier, 0..<3, length: 2000, seed: seed)
            #expect(tier.remove(BlockKey(traceID: 10)))
            let after = JournalWorkload.image(tier)
            let cutNext = tier.nextSequence  // what the cut batch's header records
            // The data fdatasync and the journal write run; the journal's fdatasync fails.
            io.budget = io.prepared + 2
            #expect(throws: DiskTierError.self) { try tier.sync() }
            inner.crash()
            let second = try DiskTier(io: inner, options: Self.options())
            #expect(second.recovery == nil, "seed \(seed): \(second.recovery?.summary ?? "")")
            let reopened = JournalWorkload.image(second)
            if second.stats.uncommittedSyncsDiscarded == 1 {
                // The cut batch's header landed: it is known, and so is its next sequence.
                landed += 1
                #expect(JournalWorkload.same(reopened, before), "seed \(seed): \(reopened)")
                #expect(
                    second.nextSequence >= cutNext,
                    "seed \(seed): next sequence \(second.nextSequence) below the cut batch's \(cutNext)")
            } else {
                // Its header sector did not land (the previous sync's index), or all of it did.
                #expect(
                    JournalWorkload.same(reopened, before) || JournalWorkload.same(reopened, after),
                    "seed \(seed): \(reopened)")
            }
            let firstNew = second.nextSequence
            // The next life: its batch is written over the torn one.
            try Self.store(second, 40..<50, length: 3000, seed: seed)
            try Self.store(second, 0..<2, length: 2500, seed: seed)
            #expect(second.remove(BlockKey(traceID: 11)))
            let fresh = (Array(40..<50) + [0, 1]).map { Self.sequence(second, $0) ?? 0 }
            let lowest = fresh.min() ?? 0
            #expect(lowest >= firstNew, "seed \(seed): the next life numbered \(fresh)")
            if second.stats.uncommittedSyncsDiscarded == 1 {
                #expect(
                    lowest >= cutNext,
                    "seed \(seed): the next life numbered \(fresh), the cut batch's next sequence is \(cutNext)")
            }
            try second.sync()
            let expected = JournalWorkload.image(second)
            let sequences = expected.map { Self.sequence(second, $0.key) }
            inner.crash()  // nothing unsynced: the power cut changes nothing
            let third = try DiskTier(io: inner, options: Self.options())
            #expect(
                third.recovery == nil && third.stats.uncommittedSyncsDiscarded == 0,
                "seed \(seed): \(third.recovery?.summary ?? "")")
            #expect(JournalWorkload.same(JournalWorkload.image(third), expected), "seed \(seed)")
            #expect(expected.map { Self.sequence(third, $0.key) } == sequences, "seed \(seed)")
            #expect(third.nextSequence >= second.nextSequence, "seed \(seed)")
            for (key, length) in expected {
                let (outcome, matches) = try DiskTestSupport.loadMatches(
                    third, BlockKey(traceID: key), length: length)
                #expect(outcome == .loaded(byteCount: length) && matches, "seed \(seed): block \(key)")
            }
        }
        // The case the fix is about (a valid header over torn records) was met.
        #expect(landed > 0, "the cut batch's header landed in \(landed) of 16 cuts")
    }
}
