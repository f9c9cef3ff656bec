// `spillway trace stats`: sizes, infinite-cache ceiling and reuse distances of a trace.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct TraceStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract:
            "Print a trace's requests, blocks, unique blocks, hit-rate ceiling and reuse distances.",
        discussion: """
            The ceiling hit rate counts every reference to a block referenced before (an \
            infinite cache). The prefix ceiling is what the replay (longest cached prefix per \
            request) can hit with unbounded tiers. The reuse distance of a repeat is the number \
            of distinct blocks referenced since the previous reference; an LRU cache of C blocks \
            hits the repeats with distance < C, so the table's last column is the hit rate of \
            an LRU cache of that many blocks.

            Example:
              spillway trace stats Tests/Fixtures/traces/mooncake-synthetic.jsonl --json
            """
    )

    @Argument(help: "Mooncake JSONL trace file.") var file: String

    @Flag(name: .long, help: "Print one JSON object on stdout.") var json = false

    @Flag(name: .long, help: "Skip malformed lines (counted) instead of failing on the first.")
    var skipBadLines = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw CLIError(
                "trace file \(file) does not exist; pass a Mooncake JSONL file (spillway trace generate writes one)"
            )
        }
        let trace = try TraceFile.loadForCLI(file, skipBadLines: skipBadLines)
        let stats = TraceStatistics(trace: trace)
        if json {
            let document = TraceStatsDocument(stats, skippedLines: trace.skippedLineNumbers.count)
            try JSONOutput.print(document)
            return
        }
        func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }
        func distance(_ p: Double) -> String {
            stats.reuseDistance(percentile: p).map(String.init) ?? "-"
        }
        print("trace             \(file)")
        print("requests          \(stats.requestCount)")
        if !trace.skippedLineNumbers.isEmpty {
            print("skipped lines     \(trace.skippedLineNumbers.count)")
        }
        print("blocks            \(stats.blockCount)")
        print("unique blocks     \(stats.uniqueBlockCount)")
        print("max request       \(stats.requestBlocksMax) blocks")
        print("ceiling hit rate  \(percent(stats.ceilingHitRate))  (infinite cache, every repeat)")
        print(
            "prefix ceiling    \(percent(stats.prefixCeilingHitRate))  (replay with unbounded tiers)"
        )
        print(
            "reuse distance    p50 \(distance(50))  p90 \(distance(90))  p99 \(distance(99))  max \(distance(100))"
        )
        print("")
        print("reuse distance           repeats      LRU hit rate at capacity")
        for bucket in stats.reuseDistanceBuckets {
            let range = bucket.upperBound == 1 ? "0" : "\(bucket.lowerBound)..<\(bucket.upperBound)"
            let line =
                range.padding(toLength: 21, withPad: " ", startingAt: 0)
                + String(repeating: " ", count: max(0, 11 - String(bucket.count).count))
                + String(bucket.count)
                + String(repeating: " ", count: 6) + "@\(bucket.upperBound): "
                + percent(bucket.lruHitRateAtUpperBound)
            print(line)
        }
    }
}

/// The `trace stats --json` object.
struct TraceStatsDocument: Encodable {
    var requests: Int
    var blocks: Int
    var uniqueBlocks: Int
    var skippedLines: Int
    var requestBlocksMax: Int
    var ceilingHitRate: Double
    var prefixCeilingHitRate: Double
    var reuseDistancePercentiles: [String: Int]
    var reuseDistanceBuckets: [ReuseDistanceBucket]

    init(_ stats: TraceStatistics, skippedLines: Int) {
        requests = stats.requestCount
        blocks = stats.blockCount
        uniqueBlocks = stats.uniqueBlockCount
        self.skippedLines = skippedLines
        requestBlocksMax = stats.requestBlocksMax
        ceilingHitRate = stats.ceilingHitRate
        prefixCeilingHitRate = stats.prefixCeilingHitRate
        var percentiles: [String: Int] = [:]
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)] {
            if let value = stats.reuseDistance(percentile: p) { percentiles[name] = value }
        }
        reuseDistancePercentiles = percentiles
        reuseDistanceBuckets = stats.reuseDistanceBuckets
    }

    enum CodingKeys: String, CodingKey {
        case requests, blocks
        case uniqueBlocks = "unique_blocks"
        case skippedLines = "skipped_lines"
        case requestBlocksMax = "request_blocks_max"
        case ceilingHitRate = "ceiling_hit_rate"
        case prefixCeilingHitRate = "prefix_ceiling_hit_rate"
        case reuseDistancePercentiles = "reuse_distance_percentiles"
        case reuseDistanceBuckets = "reuse_distance_buckets"
    }
}
