// The one open-addressing table from BlockKey to slot number: the block directory's key map
// and the disk tier's index both use it (linear probing, backward-shift deletion).

/// Maps keys to slots of a slot-indexed store (the owner keeps the keys; the table keeps
/// slot numbers in its buckets with each slot's 32-bit hash tag).
///
/// - A bucket holds a slot number (-1 empty) and that slot's tag, 8 bytes: a probe compares
///   tags inside the bucket array and reads a key only when the tag matches, so a lookup
///   touches its bucket's cache line and, on a hit, its key. The owner chooses the load
///   factor (`bucketCount(forKeys:maxLoad:)`): the block directory, preallocated for its
///   capacity, keeps it <= 3/4; the disk tier's growing index rehashes at 1/2.
/// - The tag is the low 32 bits of the key's `BlockKey.tableHash`; its low bits pick the
///   home bucket. `remove(slot, hash:)` takes the removed key's hash from the owner (who
///   recomputes it from the key, typically in a record it is touching anyway); deletion's
///   backward shift and `rehash` read homes from the buckets' tags. No per-slot array.
/// - Deletion shifts later entries of the cluster back (Knuth's algorithm R), so no
///   tombstone is ever left however long the store runs.
///
/// Storage is reached through pointers, so lookups, inserts and removals are `nonmutating`
/// (a class can hold the table in a `let` without dynamic exclusivity checks); only
/// `rehash` reallocates. No allocation otherwise. Call `deallocate()`.
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

    /// A table with room for `keys` keys within `maxLoad`.
    init(keys: Int, maxLoad: MaxLoad = .half) {
        let count = Self.bucketCount(forKeys: keys, maxLoad: maxLoad)
        buckets = .allocate(capacity: count)
        buckets.initialize(repeating: .empty, count: count)
        bucketMask = count - 1
    }

    func deallocate() { buckets.deallocate() }

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
    var allocatedBytes: Int { bucketCount * MemoryLayout<Bucket>.stride }

    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash) }

    /// The slot holding the key of hash `hash`, or -1; `matches(slot)` tells whether a slot
    /// (whose tag matched) holds that key. The owner compares keys however it stores them.
    @inline(__always)
    func find(hash: UInt64, matches: (Int32) -> Bool) -> Int32 {
        let tag = Self.tag(hash)
        var index = Int(tag) & bucketMask
        while true {
            let bucket = buckets[index]
            if bucket.slot < 0 || (bucket.tag == tag && matches(bucket.slot)) { return bucket.slot }
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

    /// Indexes `slot` under its key's hash `hash`; traps if the key is already indexed
    /// (`matches(other)`: whether another slot holds the same key). The caller keeps the
    /// load factor within its bound (rehash first when needed).
    @inline(__always)
    func insert(_ slot: Int32, hash: UInt64, matches: (Int32) -> Bool) {
        let tag = Self.tag(hash)
        var index = Int(tag) & bucketMask
        while buckets[index].slot >= 0 {
            let other = buckets[index]
            precondition(other.tag != tag || !matches(other.slot), "key indexed twice")
            index = (index &+ 1) & bucketMask
        }
        buckets[index] = Bucket(tag: tag, slot: slot)
    }

    /// Removes `slot` (which must be indexed under `hash`, its key's hash) and shifts the
    /// rest of its cluster back.
    @inline(__always)
    func remove(_ slot: Int32, hash: UInt64) {
        var hole = Int(Self.tag(hash)) & bucketMask
        while buckets[hole].slot != slot {
            precondition(buckets[hole].slot >= 0, "removing a slot that is not indexed under that hash")
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

    /// Rebuilds the buckets with `bucketCount` (a power of two) buckets, from their tags.
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
}
