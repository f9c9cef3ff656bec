// The disk tier's in-memory index: slots for blocks, an open-addressing key → slot table,
// and an intrusive index-based LRU list, so lookups, touches and evictions are O(1) and
// allocate nothing.

/// Slots, the key map and the LRU list.
struct DiskEntryTable {
    var entries: [DiskEntry] = []
    /// Linear-probing hash table of slot numbers (-1 empty); the key lives in the entry, so
    /// a bucket is 4 bytes (a Dictionary<BlockKey, Int32> would use ~150 bytes per key at
    /// its load factor). Kept at most half full; deletion shifts back (no tombstones).
    var buckets: [Int32] = []
    var bucketMask = 0
    /// Keys in `buckets` (slots writing or live).
    var keyCount = 0
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
        rehash(bucketCount: Self.bucketCount(for: reserved))
    }

    static func bucketCount(for keys: Int) -> Int {
        var count = 16
        while count < keys * 2 { count <<= 1 }
        return count
    }

    /// A well-mixed hash of the key's words (SplitMix64's finaliser over a multiply-xor fold).
    @inline(__always)
    static func hash(_ key: BlockKey) -> Int {
        var h = UInt64(key.length) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ key.w0) &* 0xBF58_476D_1CE4_E5B9
        if key.length > 8 {
            h = (h ^ key.w1) &* 0x94D0_49BB_1331_11EB
            h = (h ^ key.w2) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ key.w3) &* 0x94D0_49BB_1331_11EB
            h = (h ^ key.w4) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ key.w5) &* 0x94D0_49BB_1331_11EB
            h = (h ^ key.w6) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ key.w7) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 31
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    /// The slot holding `key` (writing or live), or nil.
    func lookup(_ key: BlockKey) -> Int32? {
        var bucket = Self.hash(key) & bucketMask
        while true {
            let slot = buckets[bucket]
            if slot < 0 { return nil }
            if entries[Int(slot)].key == key { return slot }
            bucket = (bucket + 1) & bucketMask
        }
    }

    /// Indexes `slot` under its entry's key, which must not be indexed yet.
    mutating func insertKey(_ slot: Int32) {
        if (keyCount + 1) * 2 > buckets.count { rehash(bucketCount: buckets.count * 2) }
        let key = entries[Int(slot)].key
        var bucket = Self.hash(key) & bucketMask
        while buckets[bucket] >= 0 {
            precondition(entries[Int(buckets[bucket])].key != key, "key indexed twice")
            bucket = (bucket + 1) & bucketMask
        }
        buckets[bucket] = slot
        keyCount += 1
    }

    /// Removes `key` from the index (it must be there), shifting later probes back so no
    /// tombstone is left (Knuth's algorithm R for linear probing).
    mutating func removeKey(_ key: BlockKey) {
        var hole = Self.hash(key) & bucketMask
        while true {
            let slot = buckets[hole]
            precondition(slot >= 0, "removing a key that is not indexed")
            if entries[Int(slot)].key == key { break }
            hole = (hole + 1) & bucketMask
        }
        var probe = hole
        while true {
            probe = (probe + 1) & bucketMask
            let slot = buckets[probe]
            if slot < 0 { break }
            let home = Self.hash(entries[Int(slot)].key) & bucketMask
            // Move the entry at `probe` into the hole unless its home lies cyclically in
            // (hole, probe]: then it is still reachable from home without crossing the hole.
            let reachable =
                hole <= probe ? (home > hole && home <= probe) : (home > hole || home <= probe)
            if !reachable {
                buckets[hole] = slot
                hole = probe
            }
        }
        buckets[hole] = -1
        keyCount -= 1
    }

    mutating func rehash(bucketCount: Int) {
        let old = buckets
        buckets = Array(repeating: -1, count: bucketCount)
        bucketMask = bucketCount - 1
        for slot in old where slot >= 0 {
            var bucket = Self.hash(entries[Int(slot)].key) & bucketMask
            while buckets[bucket] >= 0 { bucket = (bucket + 1) & bucketMask }
            buckets[bucket] = slot
        }
    }

    /// Makes room for `keys` keys without rehashing.
    mutating func reserveKeys(_ keys: Int) {
        let wanted = Self.bucketCount(for: keys)
        if wanted > buckets.count { rehash(bucketCount: wanted) }
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
        if mostRecent >= 0 {
            entries[Int(mostRecent)].moreRecent = slot
        } else {
            leastRecent = slot
        }
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
