// Interleavings of async jobs on one key: remove or replace while a load reads the extent,
// a second store while the first is in flight, and setup failures (ENOSPC at reserve).
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier job interleavings")
struct DiskTierConcurrencyTests {
    @Test(
        "remove and replace while a load is in flight: the load still returns the old block, its pages free afterwards"
    )
    func removeDuringLoad() throws {
        let io = SimulatedIO(seed: 31, requiredAlignment: 4096)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        let key = BlockKey(traceID: 1)
        #expect(try DiskTestSupport.store(tier, key, length: 10000) == .stored)
        let used = tier.usedBytes
        let sink = TestBuffer(count: 10000)
        #expect(tier.submitLoad(key: key, into: sink.pointer, token: 7))
        #expect(tier.remove(key))
        tier.checkInvariants()
        #expect(tier.usedBytes == used, "the extent must stay allocated while it is read")
        #expect(try DiskTestSupport.store(tier, key, length: 5000, kind: .zeros) == .stored)
        tier.checkInvariants()
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        #expect(
            completions == [
                DiskCompletion(token: 7, key: key, outcome: .load(.loaded(byteCount: 10000)))
            ])
        #expect(
            PayloadGenerator.matches(
                UnsafeRawBufferPointer(sink.prefix(10000)), key: key, kind: .random))
        #expect(tier.usedBytes == 2 * 4096, "only the new 5000-byte block remains")
        let (outcome, matches) = try DiskTestSupport.loadMatches(
            tier, key, length: 5000, kind: .zeros)
        #expect(outcome == .loaded(byteCount: 5000) && matches)
        tier.checkInvariants()
    }

    @Test("a second store of a key whose first store is in flight fails busy; the first wins")
    func busy() throws {
        let io = SimulatedIO(seed: 32)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        let key = BlockKey(traceID: 2)
        let first = TestBuffer(count: 3000)
        PayloadGenerator.fill(first.prefix(3000), key: key, kind: .random)
        #expect(
            tier.submitStore(key: key, bytes: UnsafeRawBufferPointer(first.prefix(3000)), token: 1))
        #expect(!tier.contains(key), "not readable while being written")
        #expect(
            tier.submitStore(key: key, bytes: UnsafeRawBufferPointer(first.prefix(100)), token: 2))
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        #expect(Set(completions.map(\.token)) == [1, 2])
        #expect(completions.first { $0.token == 2 }?.outcome == .store(.failed(.busy)))
        #expect(completions.first { $0.token == 1 }?.outcome == .store(.stored))
        let (outcome, matches) = try DiskTestSupport.loadMatches(tier, key, length: 3000)
        #expect(outcome == .loaded(byteCount: 3000) && matches)
        tier.checkInvariants()
    }

    @Test(
        "every evictable block is pinned by a load: a store that needs room fails noRoom, nothing breaks"
    )
    func noRoom() throws {
        let io = SimulatedIO(seed: 33)
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 4 * 4096, blockMax: 8000))
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 1), length: 8000) == .stored)
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 2), length: 8000) == .stored)
        let sinks = [TestBuffer(count: 8000), TestBuffer(count: 8000)]
        #expect(tier.submitLoad(key: BlockKey(traceID: 1), into: sinks[0].pointer, token: 1))
        #expect(tier.submitLoad(key: BlockKey(traceID: 2), into: sinks[1].pointer, token: 2))
        #expect(
            try DiskTestSupport.store(tier, BlockKey(traceID: 3), length: 8000) == .failed(.noRoom))
        tier.checkInvariants()
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        #expect(
            completions.count == 2
                && completions.allSatisfy { $0.outcome == .load(.loaded(byteCount: 8000)) })
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 3), length: 8000) == .stored)
        #expect(tier.stats.evictions == 1)
        tier.checkInvariants()
    }

    @Test("ENOSPC when reserving the data file is an operating error that says what to do")
    func reserveNoSpace() throws {
        let io = SimulatedIO(seed: 34, faults: .init(reserveNoSpace: 1))
        #expect {
            try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        } throws: { error in
            guard let error = error as? DiskTierError else { return false }
            return error.code == .backend && error.message.contains("free space")
        }
    }

    @Test("a failed sync throws, keeps the previous durability point, and a retry succeeds")
    func syncFailure() throws {
        let io = SimulatedIO(seed: 35)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 1), length: 5000) == .stored)
        try tier.sync()
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 2), length: 5000) == .stored)
        io.faults = .init(syncError: 1)
        #expect(throws: DiskTierError.self) { try tier.sync() }
        io.faults = .none
        io.crash()
        let reopened = try DiskTier(io: io, options: DiskTierOptions())
        #expect(reopened.contains(BlockKey(traceID: 1)))
        #expect(!reopened.contains(BlockKey(traceID: 2)), "block 2 was never made durable")
        #expect(try DiskTestSupport.store(reopened, BlockKey(traceID: 2), length: 5000) == .stored)
        try reopened.sync()
        io.crash()
        let again = try DiskTier(io: io, options: DiskTierOptions())
        #expect(again.contains(BlockKey(traceID: 1)) && again.contains(BlockKey(traceID: 2)))
    }

    @Test(
        "after a failed data fdatasync no later sync on the same tier claims durability (fsyncgate); reopening recovers the last good checkpoint"
    )
    func failedDataSyncPoisonsLaterSyncs() throws {
        let io = SimulatedIO(seed: 36)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 1), length: 5000) == .stored)
        try tier.sync()
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 2), length: 5000) == .stored)
        io.faults = .init(syncError: 1)
        #expect(throws: DiskTierError.self) { try tier.sync() }
        // The device now reports success, as Linux may after dropping the dirty pages: the
        // retry must still refuse, or block 2 would be promised durable without its bytes.
        io.faults = .none
        #expect {
            try tier.sync()
        } throws: { error in
            (error as? DiskTierError)?.message.contains("reopen the tier") == true
        }
        // Blocks stay readable (checksummed) until the tier is reopened.
        let sink = TestBuffer(count: 5000)
        #expect(try tier.load(key: BlockKey(traceID: 2), into: sink.pointer) == .loaded(byteCount: 5000))
        io.crash()
        let reopened = try DiskTier(io: io, options: DiskTierOptions())
        #expect(reopened.contains(BlockKey(traceID: 1)))
        #expect(!reopened.contains(BlockKey(traceID: 2)))
        try reopened.sync()
    }
}
