// Latency percentiles from an HdrHistogram (3 significant digits, auto-resizing).
import Histogram

/// Records latencies in nanoseconds and reports percentiles.
///
/// Backed by HdrHistogram (`hdrhistogram-swift`) with 3 significant digits: a reported
/// percentile is the highest value equivalent to the true one, within 0.1% above it.
/// Recording is O(1) and allocation-free once the range has grown to the largest value.
package struct LatencyHistogram: Sendable {
    private var histogram: Histogram<UInt64>

    /// An empty histogram tracking 1 ns ... 1 s, growing as needed for larger values.
    package init() {
        histogram = Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000,
            numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
    }

    /// Records one latency.
    package mutating func record(nanoseconds: UInt64) {
        let recorded = histogram.record(nanoseconds)
        precondition(recorded, "auto-resizing histogram refused \(nanoseconds) ns")
    }

    /// Adds every value recorded in `other`.
    package mutating func merge(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    /// Number of recorded values.
    package var count: UInt64 { histogram.totalCount }

    /// The value at `percentile` (0...100): the smallest recorded value (to 3 significant
    /// digits) such that `percentile`% of values are at or below it. 0 when empty.
    package func nanoseconds(atPercentile percentile: Double) -> UInt64 {
        count == 0 ? 0 : histogram.valueAtPercentile(percentile)
    }

    /// The largest recorded value, exact. 0 when empty.
    package var maxNanoseconds: UInt64 { count == 0 ? 0 : histogram.maxRecorded }

    /// Mean of recorded values (to 3 significant digits). 0 when empty.
    package var meanNanoseconds: Double { count == 0 ? 0 : histogram.mean }

    /// The standard summary: count, p50, p90, p99, p99.9, max, mean.
    package var summary: LatencySummary {
        LatencySummary(
            count: count,
            p50Nanoseconds: nanoseconds(atPercentile: 50),
            p90Nanoseconds: nanoseconds(atPercentile: 90),
            p99Nanoseconds: nanoseconds(atPercentile: 99),
            p999Nanoseconds: nanoseconds(atPercentile: 99.9),
            maxNanoseconds: maxNanoseconds,
            meanNanoseconds: meanNanoseconds)
    }
}

/// Latency percentiles as reports print them (JSON keys in snake_case, nanoseconds).
package struct LatencySummary: Sendable, Equatable, Codable {
    package var count: UInt64
    package var p50Nanoseconds: UInt64
    package var p90Nanoseconds: UInt64
    package var p99Nanoseconds: UInt64
    package var p999Nanoseconds: UInt64
    package var maxNanoseconds: UInt64
    package var meanNanoseconds: Double

    package init(
        count: UInt64, p50Nanoseconds: UInt64, p90Nanoseconds: UInt64, p99Nanoseconds: UInt64,
        p999Nanoseconds: UInt64, maxNanoseconds: UInt64, meanNanoseconds: Double
    ) {
        self.count = count
        self.p50Nanoseconds = p50Nanoseconds
        self.p90Nanoseconds = p90Nanoseconds
        self.p99Nanoseconds = p99Nanoseconds
        self.p999Nanoseconds = p999Nanoseconds
        self.maxNanoseconds = maxNanoseconds
        self.meanNanoseconds = meanNanoseconds
    }

    enum CodingKeys: String, CodingKey {
        case count
        case p50Nanoseconds = "p50_ns"
        case p90Nanoseconds = "p90_ns"
        case p99Nanoseconds = "p99_ns"
        case p999Nanoseconds = "p999_ns"
        case maxNanoseconds = "max_ns"
        case meanNanoseconds = "mean_ns"
    }
}
