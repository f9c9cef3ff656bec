// A Fenwick (binary indexed) tree of counts: point update and prefix sum in O(log n).

/// Counts over positions `0..<count` with O(log n) `add` and `prefixSum`.
package struct FenwickTree: Sendable {
    private var tree: [Int]

    /// A tree of `count` zero counts.
    package init(count: Int) {
        tree = Array(repeating: 0, count: count + 1)
    }

    /// Number of positions.
    package var count: Int { tree.count - 1 }

    /// Adds `delta` at `position`.
    package mutating func add(_ delta: Int, at position: Int) {
        precondition(position >= 0 && position < count, "position out of range")
        var index = position + 1
        while index < tree.count {
            tree[index] += delta
            index += index & -index
        }
    }

    /// The sum of counts at positions `0..<end`.
    package func prefixSum(_ end: Int) -> Int {
        precondition(end >= 0 && end <= count, "end out of range")
        var index = end
        var sum = 0
        while index > 0 {
            sum += tree[index]
            index -= index & -index
        }
        return sum
    }

    /// The sum of counts at positions in `range`.
    package func sum(_ range: Range<Int>) -> Int {
        prefixSum(range.upperBound) - prefixSum(range.lowerBound)
    }
}
