// The one open-addressing table from BlockKey to slot number: the block directory's key map
// and the disk tier's index both use it (linear probing, backward-shift deletion).

/// Maps keys to slots of a slot-indexed store (the owner keeps the keys; the table keeps
/// slot numbers in its buckets and each slot's 32-bit hash tag).
///
/// - Buckets hold slot numbers (-1 empty); a bucket is 4 bytes, and the table is kept at most
///   half full by its owner (`bucketCount(forKeys:)`), so probes stay short.
/// - `tags[slot]` is the low 32 bits of the slot's `BlockKey.tableHash`: probes compare it
///   before the key, and deletion's backward shift finds home buckets without the keys.
/// - Deletion shifts later entries of the cluster back (Knuth's algorithm R), so no
///   tombstone is ever left however long the store runs.
///
/// Storage is reached through pointers, so lookups, inserts and removals are `nonmutating`
/// (a class can hold the table in a `let` without dynamic exclusivity checks); only
/// `rehash` and `reserveSlots` reallocate. No allocation otherwise. Call `deallocate()`.
struct SlotTable {
    private(set) var buckets: UnsafeMutablePointer<Int32>
    private(set) var bucketMask: Int
    private(set) var tags: UnsafeMutablePointer<UInt32>
    /// Slots `tags` has room for.
    private(set) var slotCapacity: Int

    /// A table for slots `0..<slotCapacity` with room for `keys` keys at load factor <= 1/2.
    init(slotCapacity: Int, keys: Int) {
        self.slotCapacity = max(slotCapacity, 1)
        tags = .allocate(capacity: self.slotCapacity)
        tags.initialize(repeating: 0, count: self.slotCapacity)
        let count = Self.bucketCount(forKeys: keys)
        buckets = .allocate(capacity: count)
        buckets.initialize(repeating: -1, count: count)
        bucketMask = count - 1
    }

    func deallocate() {
        buckets.deallocate()
        tags.deallocate()
    }

    /// Buckets for `keys` keys at load factor <= 1/2 (a power of two, at least 16).
    static func bucketCount(forKeys keys: Int) -> Int {
        var count = 16
        while count < 2 * keys { count <<= 1 }
        return count
    }

    var bucketCount: Int { bucketMask + 1 }

    /// Bytes held by the table.
    var allocatedBytes: Int {
        bucketCount * MemoryLayout<Int32>.stride + slotCapacity * MemoryLayout<UInt32>.stride
    }

    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash) }

    /// The slot whose key equals `key` (`keyOf(slot)` gives a slot's key), or -1.
    @inline(__always)
    func find(_ key: BlockKey, hash: UInt64, keyOf: (Int32) -> BlockKey) -> Int32 {
        let tag = Self.tag(hash)
        var index = Int(tag) & bucketMask
        while true {
            let slot = buckets[index]
            if slot < 0 || (tags[Int(slot)] == tag && keyOf(slot) == key) { return slot }
            index = (index + 1) & bucketMask
        }
    }

    /// Indexes `slot` under `key` (hash `hash`); traps if the key is already indexed. The
    /// caller keeps the load factor <= 1/2 (rehash first when needed).
    @inline(__always)
    func insert(_ slot: Int32, key: BlockKey, hash: UInt64, keyOf: (Int32) -> BlockKey) {
        let tag = Self.tag(hash)
        tags[Int(slot)] = tag
        var index = Int(tag) & bucketMask
        while buckets[index] >= 0 {
            let other = buckets[index]
            precondition(tags[Int(other)] != tag || keyOf(other) != key, "key indexed twice")
            index = (index + 1) & bucketMask
        }
        buckets[index] = slot
    }

    /// Removes `slot` (which must be indexed) and shifts the rest of its cluster back.
    @inline(__always)
    func remove(_ slot: Int32) {
        var hole = Int(tags[Int(slot)]) & bucketMask
        while buckets[hole] != slot {
            precondition(buckets[hole] >= 0, "removing a slot that is not indexed")
            hole = (hole + 1) & bucketMask
        }
        var next = hole
        while true {
            next = (next + 1) & bucketMask
            let moving = buckets[next]
            if moving < 0 { break }
            let home = Int(tags[Int(moving)]) & bucketMask
            // `moving` may fill the hole only if its home is not cyclically in (hole, next]:
            // otherwise it is still reachable from home without crossing the hole.
            let reachable = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !reachable {
                buckets[hole] = moving
                hole = next
            }
        }
        buckets[hole] = -1
    }

    /// Number of non-empty buckets (invariant checks; O(buckets)).
    var occupiedBucketCount: Int {
        var count = 0
        for index in 0..<bucketCount where buckets[index] >= 0 { count += 1 }
        return count
    }

    /// Rebuilds the buckets with `bucketCount` (a power of two) buckets, from the tags.
    mutating func rehash(bucketCount: Int) {
        precondition(bucketCount > 0 && bucketCount & (bucketCount - 1) == 0, "bucket count not a power of two")
        let old = buckets
        let oldCount = self.bucketCount
        buckets = .allocate(capacity: bucketCount)
        buckets.initialize(repeating: -1, count: bucketCount)
        bucketMask = bucketCount - 1
        for index in 0..<oldCount where old[index] >= 0 {
            let slot = old[index]
            var bucket = Int(tags[Int(slot)]) & bucketMask
            while buckets[bucket] >= 0 { bucket = (bucket + 1) & bucketMask }
            buckets[bucket] = slot
        }
        old.deallocate()
    }

    /// Makes room for slots `0..<slots` (tags are copied; for stores that grow).
    mutating func reserveSlots(_ slots: Int) {
        guard slots > slotCapacity else { return }
        var capacity = slotCapacity
        while capacity < slots { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        grown.initialize(repeating: 0, count: capacity)
        grown.update(from: tags, count: slotCapacity)
        tags.deallocate()
        tags = grown
        slotCapacity = capacity
    }
}
