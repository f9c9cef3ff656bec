// The disk tier's in-memory index: slots for blocks, the shared key → slot table and the
// shared intrusive LRU list (Slots/), so lookups, touches and evictions are O(1) and
// allocate nothing.

/// Slots, the key map and the LRU list.
struct DiskEntryTable {
    var entries: [DiskEntry] = []
    /// Keys in the table (slots writing or live).
    private(set) var keyCount = 0
    let slotCountMax: Int
    /// The pointer-based `SlotTable` and `SlotList`, freed with their owner.
    private let storage: Storage

    final class Storage {
        var keys: SlotTable
        /// Live slots, least recent first; its free chain holds the free slots.
        var lru: SlotList

        init(slots: Int, keys: Int) {
            self.keys = SlotTable(slotCapacity: slots, keys: keys)
            lru = SlotList(slotCapacity: slots)
        }

        deinit {
            keys.deallocate()
            lru.deallocate()
        }
    }

    init(reserved: Int, slotCountMax: Int) {
        self.slotCountMax = slotCountMax
        let reserved = max(1, min(reserved, slotCountMax))
        entries.reserveCapacity(reserved)
        storage = Storage(slots: reserved, keys: reserved)
    }

    /// Most and least recently used live slots, -1 when the list is empty.
    var mostRecent: Int32 { storage.lru.tail }
    var leastRecent: Int32 { storage.lru.head }
    /// Live slots (on the LRU list).
    var liveCount: Int { storage.lru.count }
    /// Top of the free-slot chain, -1 when empty.
    var freeSlotHead: Int32 { storage.lru.freeHead }

    /// The next more recent live slot after `slot`, or -1.
    func moreRecent(_ slot: Int32) -> Int32 { storage.lru.moreRecent(slot) }
    /// The next less recent live slot before `slot`, or -1.
    func lessRecent(_ slot: Int32) -> Int32 { storage.lru.lessRecent(slot) }
    /// The free slot below `slot` on the free chain, or -1.
    func nextFree(_ slot: Int32) -> Int32 { storage.lru.nextFree(slot) }
    /// Non-empty buckets of the key map (invariant checks).
    var occupiedBucketCount: Int { storage.keys.occupiedBucketCount }

    /// The slot holding `key` (writing or live), or nil.
    func lookup(_ key: BlockKey) -> Int32? {
        let slot = storage.keys.find(key, hash: key.tableHash) { entries[Int($0)].key }
        return slot < 0 ? nil : slot
    }

    /// Indexes `slot` under its entry's key, which must not be indexed yet.
    mutating func insertKey(_ slot: Int32) {
        if (keyCount + 1) * 2 > storage.keys.bucketCount {
            storage.keys.rehash(bucketCount: storage.keys.bucketCount * 2)
        }
        let key = entries[Int(slot)].key
        storage.keys.insert(slot, key: key, hash: key.tableHash) { entries[Int($0)].key }
        keyCount += 1
    }

    /// Removes `key` from the index (it must be there).
    mutating func removeKey(_ key: BlockKey) {
        let slot = storage.keys.find(key, hash: key.tableHash) { entries[Int($0)].key }
        precondition(slot >= 0, "removing a key that is not indexed")
        storage.keys.remove(slot)
        keyCount -= 1
    }

    /// Makes room for `keys` keys without rehashing.
    mutating func reserveKeys(_ keys: Int) {
        let wanted = SlotTable.bucketCount(forKeys: keys)
        if wanted > storage.keys.bucketCount { storage.keys.rehash(bucketCount: wanted) }
    }

    /// A free slot (growing the table by doubling when none is free; never beyond one slot
    /// per page, so a bug cannot grow it without bound).
    mutating func allocateSlot() -> Int32 {
        let free = storage.lru.popFree()
        if free >= 0 { return free }
        precondition(entries.count < slotCountMax, "more index slots than pages: a leak")
        entries.append(DiskEntry())
        storage.keys.reserveSlots(entries.count)
        storage.lru.reserveSlots(entries.count)
        return Int32(entries.count - 1)
    }

    mutating func releaseSlot(_ slot: Int32) {
        entries[Int(slot)] = DiskEntry()
        storage.lru.pushFree(slot)
    }

    /// Links a live slot at the most-recent end.
    mutating func linkMostRecent(_ slot: Int32) { storage.lru.append(slot) }

    mutating func unlink(_ slot: Int32) { storage.lru.remove(slot) }
}
