// The disk tier's in-memory index: slots for blocks, a key → slot map, and an intrusive
// index-based LRU list, so lookups, touches and evictions are O(1) and allocate nothing.

/// One slot of the index.
struct DiskEntry {
    enum State: UInt8 {
        /// On the free-slot list.
        case free
        /// Its extent is being written; in the key map, not readable, not evictable.
        case writing
        /// Readable; in the key map and on the LRU list.
        case live
        /// Removed from the key map and the LRU list while loads still read its extent; the
        /// extent is freed when the last load completes.
        case doomed
    }

    var key = BlockKey(traceID: 0)
    var sequence: UInt64 = 0
    var pageIndex: Int32 = 0
    var pageCount: Int32 = 0
    var rawLength: UInt32 = 0
    var storedLength: UInt32 = 0
    var payloadCRC: UInt32 = 0
    var codec: DiskCodec = .none
    var state: State = .free
    /// Loads in flight reading this extent.
    var pinCount: UInt16 = 0
    /// LRU neighbours (toward most recent / least recent); for free slots `next` links the
    /// free-slot list. -1 is none.
    var moreRecent: Int32 = -1
    var lessRecent: Int32 = -1
}

/// Slots, the key map and the LRU list.
struct DiskEntryTable {
    var entries: [DiskEntry] = []
    var slotOfKey: [BlockKey: Int32] = [:]
    /// Most and least recently used live slots, -1 when the list is empty.
    var mostRecent: Int32 = -1
    var leastRecent: Int32 = -1
    var liveCount = 0
    var freeSlotHead: Int32 = -1
    let slotCountMax: Int

    init(reserved: Int, slotCountMax: Int) {
        self.slotCountMax = slotCountMax
        let reserved = max(1, min(reserved, slotCountMax))
        entries.reserveCapacity(reserved)
        slotOfKey.reserveCapacity(reserved)
    }

    /// A free slot (growing the table by doubling when none is free; never beyond one slot
    /// per page, so a bug cannot grow it without bound).
    mutating func allocateSlot() -> Int32 {
        if freeSlotHead >= 0 {
            let slot = freeSlotHead
            freeSlotHead = entries[Int(slot)].lessRecent
            entries[Int(slot)].lessRecent = -1
            return slot
        }
        precondition(entries.count < slotCountMax, "more index slots than pages: a leak")
        entries.append(DiskEntry())
        return Int32(entries.count - 1)
    }

    mutating func releaseSlot(_ slot: Int32) {
        entries[Int(slot)] = DiskEntry()
        entries[Int(slot)].lessRecent = freeSlotHead
        freeSlotHead = slot
    }

    /// Links a live slot at the most-recent end.
    mutating func linkMostRecent(_ slot: Int32) {
        entries[Int(slot)].lessRecent = mostRecent
        entries[Int(slot)].moreRecent = -1
        if mostRecent >= 0 { entries[Int(mostRecent)].moreRecent = slot } else { leastRecent = slot }
        mostRecent = slot
        liveCount += 1
    }

    mutating func unlink(_ slot: Int32) {
        let more = entries[Int(slot)].moreRecent
        let less = entries[Int(slot)].lessRecent
        if more >= 0 { entries[Int(more)].lessRecent = less } else { mostRecent = less }
        if less >= 0 { entries[Int(less)].moreRecent = more } else { leastRecent = more }
        entries[Int(slot)].moreRecent = -1
        entries[Int(slot)].lessRecent = -1
        liveCount -= 1
    }
}
