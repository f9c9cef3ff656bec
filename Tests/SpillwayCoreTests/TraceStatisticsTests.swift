// Trace statistics against hand-computed answers and a brute-force reference model.
import Foundation
import SpillwayTesting
import Testing

@testable import SpillwayCore

@Suite("Trace statistics")
struct TraceStatisticsTests {
    static func trace(_ lists: [[UInt64]]) -> [TraceRequest] {
        lists.map { TraceRequest(hashIDs: $0) }
    }

    @Test("hand-made trace: counts, ceilings and reuse distances")
    func handMade() {
        // Requests: [1 2 3] [1 2 4] [5] [1 2 3 5] [3 3]
        // Times:     0 1 2   3 4 5  6   7 8 9 10  11 12
        // Repeats:  1@3 (distinct since t0: 2,3 -> 2), 2@4 (since t1: 3,1 -> 2),
        //           1@7 (since t3: 2,4,5 -> 3), 2@8 (since t4: 4,5,1 -> 3),
        //           3@9 (since t2: 1,2,4,5 -> 4), 5@10 (since t6: 1,2,3 -> 3),
        //           3@11 (since t9: 5 -> 1), 3@12 (-> 0).
        let stats = TraceStatistics(
            requests: Self.trace([[1, 2, 3], [1, 2, 4], [5], [1, 2, 3, 5], [3, 3]]))
        #expect(stats.requestCount == 5)
        #expect(stats.blockCount == 13)
        #expect(stats.uniqueBlockCount == 5)
        #expect(stats.repeatCount == 8)
        #expect(stats.requestBlocksMax == 4)
        #expect(stats.sortedReuseDistances == [0, 1, 2, 2, 3, 3, 3, 4])
        // Prefix hits: [1 2] of request 2, [1 2 3 5] of request 4, [3] then the second 3
        // was first seen in an earlier request too, so [3 3] counts 2.
        #expect(stats.prefixHitCount == 2 + 4 + 2)
        #expect(abs(stats.ceilingHitRate - 8.0 / 13.0) < 1e-12)
        #expect(abs(stats.prefixCeilingHitRate - 8.0 / 13.0) < 1e-12)
        #expect(stats.reuseDistance(percentile: 50) == 2)
        #expect(stats.reuseDistance(percentile: 100) == 4)
        #expect(stats.reuseDistance(percentile: 0) == 0)
        #expect(abs(stats.lruHitRate(capacityBlocks: 3) - 4.0 / 13.0) < 1e-12)
        let buckets = stats.reuseDistanceBuckets
        #expect(buckets.map(\.count) == [1, 1, 5, 1])
        #expect(buckets.map(\.lowerBound) == [0, 1, 2, 4])
        #expect(buckets.map(\.upperBound) == [1, 2, 4, 8])
        #expect(abs(buckets[3].lruHitRateAtUpperBound - 8.0 / 13.0) < 1e-12)
    }

    @Test("prefix ceiling stops at the first block not seen in an earlier request")
    func prefixStops() {
        // Request 2: 1 (hit), 9 (new: prefix ends), 2 (seen but after the gap).
        // Request 3: 7 7: 7 first seen in this request, so no prefix hit at all.
        let stats = TraceStatistics(requests: Self.trace([[1, 2], [1, 9, 2], [7, 7]]))
        #expect(stats.prefixHitCount == 1)
        #expect(stats.repeatCount == 3)
    }

    @Test("empty trace")
    func empty() {
        let stats = TraceStatistics(requests: [])
        #expect(
            stats.blockCount == 0 && stats.ceilingHitRate == 0 && stats.reuseDistanceBuckets.isEmpty
        )
        #expect(stats.reuseDistance(percentile: 50) == nil)
    }

    @Test(
        "reuse distances and LRU hit rates match brute force on random traces",
        arguments: [11 as UInt64, 12, 13])
    func modelBased(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let lists = (0..<60).map { _ in
            (0..<random.next(in: 1...8)).map { _ in random.next(below: 25) }
        }
        let stats = TraceStatistics(requests: Self.trace(lists))
        let references = lists.flatMap { $0 }
        var distances: [Int] = []
        for (time, key) in references.enumerated() {
            guard let previous = references[..<time].lastIndex(of: key) else { continue }
            distances.append(Set(references[(previous + 1)..<time]).count)
        }
        #expect(stats.sortedReuseDistances == distances.sorted(), "seed \(seed)")
        // LRU simulation, one reference at a time.
        for capacity in [1, 3, 8, 20] {
            var stack: [UInt64] = []
            var hits = 0
            for key in references {
                if let index = stack.firstIndex(of: key) {
                    hits += 1
                    stack.remove(at: index)
                }
                stack.insert(key, at: 0)
                if stack.count > capacity { stack.removeLast() }
            }
            #expect(
                abs(
                    stats.lruHitRate(capacityBlocks: capacity) - Double(hits)
                        / Double(references.count)) < 1e-12,
                "seed \(seed) capacity \(capacity)")
        }
    }

    @Test("Fenwick tree sums match a plain array", arguments: [21 as UInt64, 22])
    func fenwick(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var tree = FenwickTree(count: 50)
        var plain = Array(repeating: 0, count: 50)
        for _ in 0..<500 {
            let position = Int(random.next(below: 50))
            let delta = random.next(in: -3...3)
            tree.add(delta, at: position)
            plain[position] += delta
            let low = Int(random.next(below: 51))
            let high = low + Int(random.next(below: UInt64(51 - low)))
            #expect(tree.sum(low..<high) == plain[low..<high].reduce(0, +), "seed \(seed)")
        }
    }

    @Test("the public Mooncake trace: counts match the expected replay with unbounded tiers")
    func mooncake() throws {
        // The repository's fixture (Tests/Fixtures/traces/mooncake-synthetic.jsonl).
        let directory = try #require(
            SharedTraces.directory(testFile: #filePath),
            "Tests/Fixtures/traces not found above \(#filePath)")
        let data = try Data(
            contentsOf: directory.appendingPathComponent("mooncake-synthetic.jsonl"))
        let stats = TraceStatistics(requests: try MooncakeTrace.parse([UInt8](data)).requests)
        #expect(stats.requestCount == 3993)
        #expect(stats.blockCount == 121_877)
        // mooncake-synthetic.expected.json: 50000 primary blocks (never full) hit 77953.
        #expect(stats.prefixHitCount == 77_953)
        #expect(stats.uniqueBlockCount == 121_877 - 77_953)
    }
}
