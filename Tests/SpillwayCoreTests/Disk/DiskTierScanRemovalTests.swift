// Recovery by scan with a valid checkpoint and its journal (docs/DISK_FORMAT.md, "Recovery by
// scan"): a block whose removal a completed sync journaled does not come back from its
// intact record, whether the checkpoint listed it or it was stored after; a key removed and
// stored again keeps its new version.
@testable import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier recovery by scan: journaled removals")
struct DiskTierScanRemovalTests {
    static func options() -> DiskTierOptions {
        DiskTestSupport.options(capacity: 100 * 4096, blockMax: 3000, jobs: 4)
    }

    static func store<IO>(_ tier: DiskTier<IO>, _ key: UInt64, length: Int) throws {
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: key), length: length) == .stored)
    }

    @Test("the older checkpoint slot corrupt: blocks removed in journaled syncs stay removed after the scan, re-stored ones keep their new version")
    func journaledRemovalsSurviveScan() throws {
        let io = SimulatedIO(seed: 93, requiredAlignment: 4096)
        let tier = try DiskTier(io: io, options: Self.options())
        for key in 0..<20 as Range<UInt64> { try Self.store(tier, key, length: 3000) }
        try tier.sync(compact: true)  // generation 2 lists 0..<20
        for key in 20..<30 as Range<UInt64> { try Self.store(tier, key, length: 3000) }
        // Batch 1: a checkpointed and a newer block removed, a checkpointed one replaced.
        #expect(tier.remove(BlockKey(traceID: 5)) && tier.remove(BlockKey(traceID: 25)))
        try Self.store(tier, 7, length: 2000)
        try tier.sync()
        // Batch 2: block 5 stored again, two more removed.
        try Self.store(tier, 5, length: 2500)
        #expect(tier.remove(BlockKey(traceID: 8)) && tier.remove(BlockKey(traceID: 26)))
        try tier.sync()
        var expected: [UInt64: Int] = [:]
        for key in 0..<30 as Range<UInt64> { expected[key] = 3000 }
        expected[5] = 2500
        expected[7] = 2000
        for key in [8, 25, 26] as [UInt64] { expected[key] = nil }
        #expect(tier.blockCount == expected.count)
        _ = consume tier  // dropped without close: the index is checkpoint + journal
        // Generation 1 (the empty checkpoint of the creation) is in slot b: flip its header.
        #expect(io.corrupt(fileNamed: DiskLayout.checkpointFileNames[1], offset: 40, xor: 0x10))
        let reopened = try DiskTier(io: io.reopened(seed: 94), options: DiskTierOptions())
        #expect(reopened.recovery?.scanned == true)
        #expect(reopened.recovery?.corruptCheckpoints == [DiskLayout.checkpointFileNames[1]])
        #expect(reopened.recovery?.droppedCheckpointEntries == 0)
        for key in [8, 25, 26] as [UInt64] {
            #expect(!reopened.contains(BlockKey(traceID: key)), "removed block \(key) came back")
        }
        #expect(reopened.blockCount == expected.count)
        for (key, length) in expected {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                reopened, BlockKey(traceID: key), length: length)
            #expect(outcome == .loaded(byteCount: length) && matches, "block \(key): \(outcome)")
        }
        // The recovered index was saved: the next open is clean and the same.
        let order = reopened.keysLeastRecentFirst()
        try reopened.close()
        let again = try DiskTier(io: io.reopened(seed: 95), options: DiskTierOptions())
        #expect(again.recovery == nil && again.keysLeastRecentFirst() == order)
    }
}

@Suite("DiskTier recovery by scan: the limit without a checkpoint")
struct DiskTierScanRemovalLimitTests {
    @Test("both checkpoint slots corrupt: no journal is read, a removed block whose extent was not reused comes back with its own bytes (docs/DISK_FORMAT.md, Known limits)")
    func removalComesBackWithoutCheckpoint() throws {
        let io = SimulatedIO(seed: 96, requiredAlignment: 4096)
        let tier = try DiskTier(io: io, options: DiskTierScanRemovalTests.options())
        for key in 0..<10 as Range<UInt64> {
            try DiskTierScanRemovalTests.store(tier, key, length: 3000)
        }
        try tier.sync(compact: true)
        #expect(tier.remove(BlockKey(traceID: 4)))
        try tier.sync()
        _ = consume tier
        for slot in DiskLayout.checkpointFileNames {
            #expect(io.corrupt(fileNamed: slot, offset: 40, xor: 0x10))
        }
        let reopened = try DiskTier(io: io.reopened(seed: 97), options: DiskTierOptions())
        #expect(reopened.recovery?.scanned == true && reopened.blockCount == 10)
        // Nothing stale: the block that came back holds exactly what was stored under its key.
        let (outcome, matches) = try DiskTestSupport.loadMatches(
            reopened, BlockKey(traceID: 4), length: 3000)
        #expect(outcome == .loaded(byteCount: 3000) && matches)
    }
}
