// A reusable scratch set of the keys of one request, to find each key's first occurrence
// without allocating per request.

/// An open-addressing set of positions in a request (`RequestKeys`), cleared in O(1) by
/// bumping a stamp.
/// Grows (allocates) only when a request is longer than any before.
struct RequestKeySet {
    private var stamps: UnsafeMutablePointer<UInt32>
    private var indices: UnsafeMutablePointer<Int32>
    private var mask: Int
    private var stamp: UInt32 = 0

    init() {
        mask = 63
        stamps = .allocate(capacity: mask + 1)
        stamps.initialize(repeating: 0, count: mask + 1)
        indices = .allocate(capacity: mask + 1)
    }

    func deallocate() {
        stamps.deallocate()
        indices.deallocate()
    }

    /// Empties the set and makes room for `count` keys at load factor <= 1/2.
    mutating func reset(forCount count: Int) {
        if 2 * count > mask + 1 {
            var size = mask + 1
            while size < 2 * count { size *= 2 }
            stamps.deallocate()
            indices.deallocate()
            mask = size - 1
            stamps = .allocate(capacity: size)
            stamps.initialize(repeating: 0, count: size)
            indices = .allocate(capacity: size)
            stamp = 0
        }
        stamp &+= 1
        if stamp == 0 {
            stamps.update(repeating: 0, count: mask + 1)
            stamp = 1
        }
    }

    /// Inserts the key at position `index` of `keys` (hash `hash`); returns true when no
    /// equal key was inserted since `reset`.
    @inline(__always)
    func insert(_ index: Int, hash: UInt64, keys: some RequestKeys) -> Bool {
        var position = Int(truncatingIfNeeded: hash) & mask
        while stamps[position] == stamp {
            if keys.same(Int(indices[position]), index) { return false }
            position = (position + 1) & mask
        }
        stamps[position] = stamp
        indices[position] = Int32(truncatingIfNeeded: index)
        return true
    }
}
