// Trace statistics: sizes, the infinite-cache ceiling, and the reuse-distance distribution.

/// What a trace asks of a cache, independent of any capacity.
///
/// - `ceilingHitRate`: block references whose key was referenced before (anywhere earlier in
///   the trace, including earlier in the same request), over all references: the hit rate
///   of an infinite cache that counts every repeat.
/// - `prefixCeilingHitRate`: what the replay (docs/SEMANTICS.md) would hit with unbounded tiers:
///   per request, the longest prefix of keys seen in earlier requests.
/// - Reuse distance of a repeated reference: the number of distinct other keys referenced
///   since the key's previous reference (`a b c a` gives 2 for the second `a`). An LRU
///   cache of C blocks (one reference at a time) hits exactly the references with distance
///   < C, so `lruHitRate(capacityBlocks:)` reads capacity planning straight off the trace.
///   Computed in O(n log n) with a Fenwick tree over reference times: a key's last
///   reference time is marked; the distance is the number of marks after it.
package struct TraceStatistics: Sendable, Equatable {
    package var requestCount = 0
    package var blockCount = 0
    package var uniqueBlockCount = 0
    /// References to a key referenced before.
    package var repeatCount = 0
    /// Sum over requests of the longest prefix seen in earlier requests.
    package var prefixHitCount = 0
    package var requestBlocksMax = 0
    /// Reuse distances of all repeats, ascending.
    package var sortedReuseDistances: [Int] = []

    package init() {}

    /// Computes the statistics of `requests`.
    package init(requests: [TraceRequest]) { self.init(trace: MooncakeTrace(requests: requests)) }

    /// Computes the statistics of `trace`.
    package init(trace: MooncakeTrace) {
        let total = trace.blockCount
        // Per key: the time of its first reference (to tell "seen in an earlier request")
        // and of its last reference (the mark in the Fenwick tree).
        var seen: [UInt64: (first: Int, last: Int)] = [:]
        seen.reserveCapacity(total / 2)
        var marks = FenwickTree(count: total)
        var distances: [Int] = []
        distances.reserveCapacity(total)
        var time = 0
        for request in 0..<trace.count {
            let keys = trace.hashIDs[trace.hashIDRange(ofRequest: request)]
            requestCount += 1
            requestBlocksMax = max(requestBlocksMax, keys.count)
            var prefixOpen = true
            let requestStart = time
            for key in keys {
                if let times = seen[key] {
                    repeatCount += 1
                    distances.append(marks.sum((times.last + 1)..<time))
                    marks.add(-1, at: times.last)
                    seen[key] = (times.first, time)
                    if prefixOpen && times.first < requestStart {
                        prefixHitCount += 1
                    } else {
                        prefixOpen = false
                    }
                } else {
                    uniqueBlockCount += 1
                    prefixOpen = false
                    seen[key] = (time, time)
                }
                marks.add(1, at: time)
                time += 1
            }
        }
        blockCount = total
        sortedReuseDistances = distances.sorted()
    }

    /// Repeats over references: the hit rate of an infinite cache.
    package var ceilingHitRate: Double {
        blockCount == 0 ? 0 : Double(repeatCount) / Double(blockCount)
    }

    /// Prefix hits with unbounded tiers over references (docs/SEMANTICS.md semantics).
    package var prefixCeilingHitRate: Double {
        blockCount == 0 ? 0 : Double(prefixHitCount) / Double(blockCount)
    }

    /// The hit rate of a per-reference LRU cache holding `capacityBlocks` blocks.
    package func lruHitRate(capacityBlocks: Int) -> Double {
        guard blockCount > 0 else { return 0 }
        return Double(countOfDistances(below: capacityBlocks)) / Double(blockCount)
    }

    /// The reuse distance at `percentile` (0...100) of all repeats, nil without repeats.
    package func reuseDistance(percentile: Double) -> Int? {
        guard !sortedReuseDistances.isEmpty else { return nil }
        let rank = Int((percentile / 100 * Double(sortedReuseDistances.count)).rounded(.up))
        return sortedReuseDistances[min(max(rank, 1), sortedReuseDistances.count) - 1]
    }

    /// Log2 buckets of reuse distances: bucket 0 is distance 0, bucket k >= 1 is
    /// `2^(k-1) ..< 2^k`. Only buckets up to the largest distance are returned.
    package var reuseDistanceBuckets: [ReuseDistanceBucket] {
        guard let largest = sortedReuseDistances.last else { return [] }
        var buckets: [ReuseDistanceBucket] = []
        var lower = 0
        var upper = 1
        var cumulative = 0
        while lower <= largest {
            let count = countOfDistances(below: upper) - countOfDistances(below: lower)
            cumulative += count
            buckets.append(
                ReuseDistanceBucket(
                    lowerBound: lower, upperBound: upper, count: count,
                    lruHitRateAtUpperBound: Double(cumulative) / Double(blockCount)))
            lower = upper
            upper *= 2
        }
        return buckets
    }

    private func countOfDistances(below bound: Int) -> Int {
        var low = 0
        var high = sortedReuseDistances.count
        while low < high {
            let middle = (low + high) / 2
            if sortedReuseDistances[middle] < bound { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// Reuse distances in `lowerBound..<upperBound`.
package struct ReuseDistanceBucket: Sendable, Equatable, Codable {
    package var lowerBound: Int
    package var upperBound: Int
    package var count: Int
    /// Hit rate of an LRU cache of `upperBound` blocks (all repeats with distance below it).
    package var lruHitRateAtUpperBound: Double

    enum CodingKeys: String, CodingKey {
        case lowerBound = "distance_min"
        case upperBound = "distance_below"
        case count
        case lruHitRateAtUpperBound = "lru_hit_rate_at_capacity"
    }
}
