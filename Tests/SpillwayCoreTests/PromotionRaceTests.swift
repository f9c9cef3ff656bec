// Promotion racing eviction in the manager: a block being promoted is neither evicted from
// primary nor from disk, lookups say retry, and a failed read turns into a miss.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct PromotionRaceTests {
    /// Builds a manager (2 rows, 2 disk records, spill) where block 1 was spilled to disk:
    /// store 1, 2; store 3 evicts 1 to disk.
    func managerWithBlockOnDisk(path: RecordingDataPath) -> PrimaryTierManager<RecordingDataPath> {
        let m = PrimaryTierManager(primaryBlocks: 2, diskBlocks: 2, policy: .spill, blockSize: 8, dataPath: path)
        let first = m.prepareStore(keys([1, 2]))!
        for (key, row) in zip(first.keysToStore, first.rows) { path.writeRow(key, row: row) }
        m.completeStore(keys([1, 2]))
        let second = m.prepareStore(keys([3]))!
        for (key, row) in zip(second.keysToStore, second.rows) { path.writeRow(key, row: row) }
        m.completeStore(keys([3]))
        return m
    }

    /// Setup: block 1 only on disk; preparePromotion([1]) evicts 2 (spilled) and gives 1 a
    /// row. While the read is in flight: lookup answers retry; a store needing a row cannot
    /// evict 1 (ref -1) and must evict 3; a spill that fills the disk cannot evict 1's pinned
    /// disk copy. Checks those, then completion makes 1 a plain hit, and events are exact.
    @Test func promotionInFlightIsNeverEvicted() {
        let path = RecordingDataPath(primaryBlocks: 2, diskBlocks: 2)
        let m = managerWithBlockOnDisk(path: path)
        #expect(m.lookup(keys([1, 2, 3])) == .hit(count: 3, pending: 1))
        _ = m.takeEvents()

        let promotion = m.preparePromotion(keys([1]))!
        #expect(promotion.keys == keys([1]) && promotion.evicted == keys([2]))
        #expect(m.lookup(keys([1])) == .retry)
        #expect(m.lookup(keys([2, 1])) == .retry)  // 2 is on disk now, then 1 in flight
        #expect(m.lookup(keys([3])) == .hit(count: 1, pending: 0))

        // Row pressure: 1 is in flight (ref -1), so only 3 can go; it spills, filling disk
        // {1, 2} -> must evict a disk block; 1 is pinned and protected-free, so 2 goes.
        let store = m.prepareStore(keys([4]))!
        #expect(store.evicted == keys([3]))
        #expect(m.directory.residency(m.directory.find(keys([1])[0])) == .both)
        #expect(m.directory.find(keys([2])[0]) == BlockDirectory.noSlot)
        // A second store finds nothing evictable: 1 in flight, 4 being written.
        #expect(m.prepareStore(keys([5])) == nil)

        #expect(path.loadFromDisk(promotion.keys[0], record: promotion.records[0], row: promotion.rows[0]) == .completed)
        m.completePromotion(promotion.keys, success: true)
        #expect(m.lookup(keys([1])) == .hit(count: 1, pending: 0))
        let events = m.takeEvents()
        #expect(events == [
            OffloadingEvent(keys: keys([2]), blockSize: 8, medium: .storage, removed: false),
            OffloadingEvent(keys: keys([2]), blockSize: 8, medium: .cpu, removed: true),
            OffloadingEvent(keys: keys([2]), blockSize: 8, medium: .storage, removed: true),
            OffloadingEvent(keys: keys([3]), blockSize: 8, medium: .storage, removed: false),
            OffloadingEvent(keys: keys([3]), blockSize: 8, medium: .cpu, removed: true),
            OffloadingEvent(keys: keys([1]), blockSize: 8, medium: .cpu, removed: false),
        ])
        #expect(path.violations.isEmpty, "\(path.violations)")
        m.directory.checkInvariants()
    }

    /// Setup: block 1 only on disk, the data path fails its read. Checks: the synchronous
    /// `promote` reports 1 as failed, 1 is gone from both tiers (lookup misses, no stale row
    /// or record), a STORAGE removed event says so, and 1 can be stored again.
    @Test func failedPromotionReadBecomesMiss() {
        let path = RecordingDataPath(primaryBlocks: 2, diskBlocks: 2, failRead: { _ in true })
        let m = managerWithBlockOnDisk(path: path)
        _ = m.takeEvents()
        #expect(m.promote(keys([1])) == keys([1]))
        #expect(m.lookup(keys([1])) == .hit(count: 0, pending: 0))
        #expect(m.directory.find(keys([1])[0]) == BlockDirectory.noSlot)
        #expect(m.takeEvents().last == OffloadingEvent(keys: keys([1]), blockSize: 8, medium: .storage, removed: true))
        #expect(m.stats.promotionsFailed == 1)
        let again = m.prepareStore(keys([1]))
        #expect(again?.keysToStore == keys([1]))
        #expect(path.violations.isEmpty, "\(path.violations)")
        m.directory.checkInvariants()
    }

    /// Setup: write-through manager, 2 rows / 1 disk record. Checks: completeStore writes to
    /// disk (STORAGE stored), the next write evicts the least recent disk copy not among the
    /// input keys, and eviction from primary never writes (disk_writes unchanged).
    @Test func writeThroughWritesOnStoreOnly() {
        let m = PrimaryTierManager(primaryBlocks: 2, diskBlocks: 1, policy: .writeThrough, blockSize: 8)
        _ = m.prepareStore(keys([1]))
        m.completeStore(keys([1]))
        #expect(m.stats.diskWrites == 1)
        _ = m.prepareStore(keys([2]))
        m.completeStore(keys([2]))
        #expect(m.stats.diskWrites == 2 && m.stats.diskEvictions == 1)
        _ = m.takeEvents()
        _ = m.prepareStore(keys([3]))  // evicts 1 from primary (1 is on no tier afterwards)
        #expect(m.stats.diskWrites == 2)
        #expect(m.directory.find(keys([1])[0]) == BlockDirectory.noSlot)
        #expect(m.lookup(keys([2])) == .hit(count: 1, pending: 0))
        m.directory.checkInvariants()
    }
}
