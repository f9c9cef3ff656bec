// The disk tier's in-memory index: slots for blocks, the shared key → slot table and the
// shared intrusive LRU list (Slots/), so lookups, touches and evictions are O(1) and
// allocate nothing. One owner: the table cannot be copied.

/// Slots, the key map and the LRU list.
///
/// Noncopyable: the key map and the list are pointer-based (`SlotTable`, `SlotList`), so a
/// copy would share them with its original while `entries` and `keyCount` diverged. The
/// tier owns its one table; code that needs it elsewhere borrows it or takes it `inout`.
struct DiskEntryTable: ~Copyable {
    var entries: [DiskEntry] = []
    /// Keys in the table (slots writing or live).
    private(set) var keyCount = 0
    let slotCountMax: Int
    private var keys: SlotTable
    /// Live slots, least recent first; its free chain holds the free slots.
    private var lru: SlotList

    init(reserved: Int, slotCountMax: Int) {
        self.slotCountMax = slotCountMax
        let reserved = max(1, min(reserved, slotCountMax))
        entries.reserveCapacity(reserved)
        keys = SlotTable(keys: reserved)
        lru = SlotList(slotCapacity: reserved)
    }

    deinit {
        keys.deallocate()
        lru.deallocate()
    }

    /// Most and least recently used live slots, -1 when the list is empty.
    var mostRecent: Int32 { lru.tail }
    var leastRecent: Int32 { lru.head }
    /// Live slots (on the LRU list).
    var liveCount: Int { lru.count }
    /// Top of the free-slot chain, -1 when empty.
    var freeSlotHead: Int32 { lru.freeHead }

    /// The next more recent live slot after `slot`, or -1.
    func moreRecent(_ slot: Int32) -> Int32 { lru.moreRecent(slot) }
    /// The next less recent live slot before `slot`, or -1.
    func lessRecent(_ slot: Int32) -> Int32 { lru.lessRecent(slot) }
    /// The free slot below `slot` on the free chain, or -1.
    func nextFree(_ slot: Int32) -> Int32 { lru.nextFree(slot) }
    /// Non-empty buckets of the key map (invariant checks).
    var occupiedBucketCount: Int { keys.occupiedBucketCount }

    /// The slot holding `key` (writing or live), or nil.
    func lookup(_ key: BlockKey) -> Int32? {
        let slot = keys.find(hash: key.tableHash) { entries[Int($0)].key == key }
        return slot < 0 ? nil : slot
    }

    /// Indexes `slot` under its entry's key, which must not be indexed yet.
    mutating func insertKey(_ slot: Int32) {
        if (keyCount + 1) * 2 > keys.bucketCount {
            keys.rehash(bucketCount: keys.bucketCount * 2)
        }
        let key = entries[Int(slot)].key
        keys.insert(slot, hash: key.tableHash) { entries[Int($0)].key == key }
        keyCount += 1
    }

    /// Removes `key` from the index (it must be there).
    mutating func removeKey(_ key: BlockKey) {
        let slot = keys.find(hash: key.tableHash) { entries[Int($0)].key == key }
        precondition(slot >= 0, "removing a key that is not indexed")
        keys.remove(slot, hash: key.tableHash)
        keyCount -= 1
    }

    /// Makes room for `keys` keys without rehashing.
    mutating func reserveKeys(_ keys: Int) {
        let wanted = SlotTable.bucketCount(forKeys: keys)
        if wanted > self.keys.bucketCount { self.keys.rehash(bucketCount: wanted) }
    }

    /// A free slot (growing the table by doubling when none is free; never beyond one slot
    /// per page, so a bug cannot grow it without bound).
    mutating func allocateSlot() -> Int32 {
        let free = lru.popFree()
        if free >= 0 { return free }
        precondition(entries.count < slotCountMax, "more index slots than pages: a leak")
        entries.append(DiskEntry())
        lru.reserveSlots(entries.count)
        return Int32(entries.count - 1)
    }

    mutating func releaseSlot(_ slot: Int32) {
        entries[Int(slot)] = DiskEntry()
        lru.pushFree(slot)
    }

    /// Links a live slot at the most-recent end.
    mutating func linkMostRecent(_ slot: Int32) { lru.append(slot) }

    mutating func unlink(_ slot: Int32) { lru.remove(slot) }
}
