// The one open-addressing table from BlockKey to slot number: the block directory's key map
// and the disk tier's index both use it (linear probing, backward-shift deletion).

/// Maps keys to slots of a slot-indexed store (the owner keeps the keys; the table keeps
/// slot numbers in its buckets and each slot's 32-bit hash tag).
///
/// - A bucket holds a slot number (-1 empty) and that slot's tag, 8 bytes: a probe compares
///   tags inside the bucket array and reads a key only when the tag matches, so a lookup
///   touches its bucket's cache line and, on a hit, its key. The owner chooses the load
///   factor (`bucketCount(forKeys:maxLoad:)`): the block directory, preallocated for its
///   capacity, keeps it <= 3/4; the disk tier's growing index rehashes at 1/2.
/// - The tag is the low 32 bits of the key's `BlockKey.tableHash`; its low bits pick the
///   home bucket. `tags[slot]` repeats it per slot so `remove(slot)` finds the slot's
///   cluster without its key; deletion's backward shift reads homes from the buckets.
/// - Deletion shifts later entries of the cluster back (Knuth's algorithm R), so no
///   tombstone is ever left however long the store runs.
///
/// Storage is reached through pointers, so lookups, inserts and removals are `nonmutating`
/// (a class can hold the table in a `let` without dynamic exclusivity checks); only
/// `rehash` and `reserveSlots` reallocate. No allocation otherwise. Call `deallocate()`.
struct SlotTable {
    /// One bucket: a slot (-1 when empty) and its tag.
    struct Bucket {
        var tag: UInt32
        var slot: Int32

        static let empty = Bucket(tag: 0, slot: -1)
    }

    /// The most a table may hold, as a fraction of its buckets.
    enum MaxLoad {
        /// <= 1/2 (the default; tables that grow).
        case half
        /// <= 3/4 (a preallocated table: half the buckets of `.half`, same bytes as 4-byte
        /// buckets at 1/2).
        case threeQuarters
    }

    private(set) var buckets: UnsafeMutablePointer<Bucket>
    private(set) var bucketMask: Int
    private(set) var tags: UnsafeMutablePointer<UInt32>
    /// Slots `tags` has room for.
    private(set) var slotCapacity: Int

    /// A table for slots `0..<slotCapacity` with room for `keys` keys within `maxLoad`.
    init(slotCapacity: Int, keys: Int, maxLoad: MaxLoad = .half) {
        self.slotCapacity = max(slotCapacity, 1)
        tags = .allocate(capacity: self.slotCapacity)
        tags.initialize(repeating: 0, count: self.slotCapacity)
        let count = Self.bucketCount(forKeys: keys, maxLoad: maxLoad)
        buckets = .allocate(capacity: count)
        buckets.initialize(repeating: .empty, count: count)
        bucketMask = count - 1
    }

    func deallocate() {
        buckets.deallocate()
        tags.deallocate()
    }

    /// Buckets for `keys` keys within `maxLoad` (a power of two, at least 16).
    static func bucketCount(forKeys keys: Int, maxLoad: MaxLoad = .half) -> Int {
        var count = 16
        switch maxLoad {
        case .half: while count < 2 * keys { count <<= 1 }
        case .threeQuarters: while 3 * count < 4 * keys { count <<= 1 }
        }
        return count
    }

    var bucketCount: Int { bucketMask + 1 }

    /// Bytes held by the table.
    var allocatedBytes: Int {
        bucketCount * MemoryLayout<Bucket>.stride + slotCapacity * MemoryLayout<UInt32>.stride
    }

    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash) }

    /// The slot whose key equals `key` (`keyOf(slot)` gives a slot's key), or -1.
    @inline(__always)
    func find(_ key: BlockKey, hash: UInt64, keyOf: (Int32) -> BlockKey) -> Int32 {
        let tag = Self.tag(hash)
        var index = Int(tag) & bucketMask
        while true {
            let bucket = buckets[index]
            if bucket.slot < 0 || (bucket.tag == tag && keyOf(bucket.slot) == key) { return bucket.slot }
            index = (index &+ 1) & bucketMask
        }
    }

    /// The first slot on `hash`'s probe path whose tag matches, or -1 when the path reaches
    /// an empty bucket first: `find` without reading any key. When the candidate's key
    /// equals the key sought it is `find`'s answer; otherwise (a tag collision, about one
    /// probe in 2^32 / buckets) call `find`. Lets a caller probe a batch of keys and then
    /// compare a batch of keys, so their cache misses overlap.
    @inline(__always)
    func candidate(hash: UInt64) -> Int32 {
        let tag = Self.tag(hash)
        var index = Int(tag) & bucketMask
        while true {
            let bucket = buckets[index]
            if bucket.slot < 0 || bucket.tag == tag { return bucket.slot }
            index = (index &+ 1) & bucketMask
        }
    }

    /// Indexes `slot` under `key` (hash `hash`); traps if the key is already indexed. The
    /// caller keeps the load factor within its bound (rehash first when needed).
    @inline(__always)
    func insert(_ slot: Int32, key: BlockKey, hash: UInt64, keyOf: (Int32) -> BlockKey) {
        let tag = Self.tag(hash)
        tags[Int(slot)] = tag
        var index = Int(tag) & bucketMask
        while buckets[index].slot >= 0 {
            let other = buckets[index]
            precondition(other.tag != tag || keyOf(other.slot) != key, "key indexed twice")
            index = (index &+ 1) & bucketMask
        }
        buckets[index] = Bucket(tag: tag, slot: slot)
    }

    /// Removes `slot` (which must be indexed) and shifts the rest of its cluster back.
    @inline(__always)
    func remove(_ slot: Int32) {
        var hole = Int(tags[Int(slot)]) & bucketMask
        while buckets[hole].slot != slot {
            precondition(buckets[hole].slot >= 0, "removing a slot that is not indexed")
            hole = (hole &+ 1) & bucketMask
        }
        var next = hole
        while true {
            next = (next &+ 1) & bucketMask
            let moving = buckets[next]
            if moving.slot < 0 { break }
            let home = Int(moving.tag) & bucketMask
            // `moving` may fill the hole only if its home is not cyclically in (hole, next]:
            // otherwise it is still reachable from home without crossing the hole.
            let reachable = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !reachable {
                buckets[hole] = moving
                hole = next
            }
        }
        buckets[hole] = .empty
    }

    /// Number of non-empty buckets (invariant checks; O(buckets)).
    var occupiedBucketCount: Int {
        var count = 0
        for index in 0..<bucketCount where buckets[index].slot >= 0 { count += 1 }
        return count
    }

    /// Rebuilds the buckets with `bucketCount` (a power of two) buckets, from the tags.
    mutating func rehash(bucketCount: Int) {
        precondition(bucketCount > 0 && bucketCount & (bucketCount - 1) == 0, "bucket count not a power of two")
        let old = buckets
        let oldCount = self.bucketCount
        buckets = .allocate(capacity: bucketCount)
        buckets.initialize(repeating: .empty, count: bucketCount)
        bucketMask = bucketCount - 1
        for index in 0..<oldCount where old[index].slot >= 0 {
            var bucket = Int(old[index].tag) & bucketMask
            while buckets[bucket].slot >= 0 { bucket = (bucket &+ 1) & bucketMask }
            buckets[bucket] = old[index]
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
