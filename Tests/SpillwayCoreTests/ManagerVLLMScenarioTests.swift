// vLLM's own CPU manager test scenarios (tests/v1/kv_offload/test_cpu_manager.py), replayed
// against PrimaryTierManager with the same expected row ids and events.
import SpillwayCore
import Testing

func keys(_ ids: [Int]) -> [BlockKey] { ids.map { BlockKey(bytes: Array(String($0).utf8))! } }

@Suite struct ManagerVLLMScenarioTests {
    let blockSize = 256

    func expectEvents(
        _ events: [OffloadingEvent], stores: [[Int]] = [], evictions: [[Int]] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(events.allSatisfy { $0.medium == .cpu && $0.blockSize == blockSize }, sourceLocation: sourceLocation)
        #expect(events.filter(\.removed).map { Set($0.keys) } == evictions.map { Set(keys($0)) }, sourceLocation: sourceLocation)
        #expect(events.filter { !$0.removed }.map { Set($0.keys) } == stores.map { Set(keys($0)) }, sourceLocation: sourceLocation)
    }

    /// Setup: vLLM's test_cpu_manager with 4 rows. Checks: exact row ids through eviction and
    /// reuse (fresh first, then last freed), nil when full or pinned, touch ordering, and a
    /// failed store removing only the unfinished block.
    @Test func vllmCPUManagerScenario() {
        let m = PrimaryTierManager(primaryBlocks: 4, blockSize: blockSize)
        var out = m.prepareStore(keys([1, 2]))
        #expect(out == PrepareStoreResult(keysToStore: keys([1, 2]), rows: [0, 1], evicted: []))
        #expect(m.lookup(keys([1, 2])) == .hit(count: 0, pending: 0))
        #expect(m.takeEvents().isEmpty)
        m.completeStore(keys([1, 2]))
        expectEvents(m.takeEvents(), stores: [[1, 2]])
        #expect(m.lookup(keys([1])).count == 1)
        #expect(m.lookup(keys([1, 2])).count == 2)
        #expect(m.lookup(keys([1, 2, 3])).count == 2)

        out = m.prepareStore(keys([2, 3, 4, 5]))
        #expect(out == PrepareStoreResult(keysToStore: keys([3, 4, 5]), rows: [2, 3, 0], evicted: keys([1])))
        expectEvents(m.takeEvents(), evictions: [[1]])
        #expect(m.prepareStore(keys([1, 6])) == nil)
        m.completeStore(keys([2, 3, 4, 5]))

        #expect(m.prepareLoad(keys([2, 3])) == [1, 2])
        #expect(m.prepareStore(keys([6, 7, 8])) == nil)
        m.completeLoad(keys([2, 3]))

        out = m.prepareStore(keys([6, 7, 8]))
        #expect(out == PrepareStoreResult(keysToStore: keys([6, 7, 8]), rows: [3, 2, 1], evicted: keys([2, 3, 4])))
        m.completeStore(keys([6, 7, 8]))
        m.touch(keys([5, 6, 7]))

        out = m.prepareStore(keys([9]))
        #expect(out == PrepareStoreResult(keysToStore: keys([9]), rows: [1], evicted: keys([8])))
        m.completeStore(keys([7, 9]), success: false)
        #expect(m.lookup(keys([7])).count == 1)
        #expect(m.lookup(keys([9])).count == 0)
        expectEvents(m.takeEvents(), stores: [[3, 4, 5], [6, 7, 8]], evictions: [[2, 3, 4], [8]])
        m.directory.checkInvariants()
    }

    /// Setup: vLLM's regression test: [1,2] stored, touch([1]) makes 2 least recent, then
    /// prepareStore([2,3,4,5]). Checks: 2 is protected (1 is evicted), ids [2,3,0], 2 stays.
    @Test func alreadyStoredBlockNotEvictedDuringPrepareStore() {
        let m = PrimaryTierManager(primaryBlocks: 4, blockSize: blockSize)
        _ = m.prepareStore(keys([1, 2]))
        m.completeStore(keys([1, 2]))
        m.touch(keys([1]))
        let out = m.prepareStore(keys([2, 3, 4, 5]))
        #expect(out == PrepareStoreResult(keysToStore: keys([3, 4, 5]), rows: [2, 3, 0], evicted: keys([1])))
        m.completeStore(keys([2, 3, 4, 5]))
        #expect(m.lookup(keys([2])).count == 1)
        m.directory.checkInvariants()
    }

    /// Setup: touch [3, 1, 2] on blocks stored as 1..4. Checks: reverse walk leaves 3 most
    /// recent then 1, 2, so the LRU order is 4, 2, 1, 3 and the next eviction takes 4 then 2.
    @Test func touchWalksInReverse() {
        let m = PrimaryTierManager(primaryBlocks: 4, blockSize: blockSize)
        _ = m.prepareStore(keys([1, 2, 3, 4]))
        m.completeStore(keys([1, 2, 3, 4]))
        m.touch(keys([3, 1, 2]))
        #expect(m.directory.primaryOrder.map(m.directory.key) == keys([4, 2, 1, 3]))
        let out = m.prepareStore(keys([5, 6]))
        #expect(out?.evicted == keys([4, 2]))
        #expect(out?.rows == [1, 3])
    }

    /// Setup: all rows pinned by loads or still being written. Checks: prepareStore is nil
    /// and changes nothing (same order, same free rows, no events).
    @Test func nilWhenFullOrPinnedChangesNothing() {
        let m = PrimaryTierManager(primaryBlocks: 3, blockSize: blockSize)
        _ = m.prepareStore(keys([1, 2]))
        m.completeStore(keys([1]))
        _ = m.prepareLoad(keys([1]))
        _ = m.prepareStore(keys([3]))
        _ = m.takeEvents()
        let before = m.directory.primaryOrder
        #expect(m.prepareStore(keys([4])) == nil)
        #expect(m.prepareStore(keys([1, 2, 3, 4])) == nil)
        #expect(m.directory.primaryOrder == before)
        #expect(m.takeEvents().isEmpty)
        #expect(m.prepareStore(keys([1, 2, 3])) == PrepareStoreResult(keysToStore: [], rows: [], evicted: []))
        m.directory.checkInvariants()
    }
}
