// Exact percentiles of per-operation latencies, for the disk benchmarks' reports.
import Spillway
import SpillwayCore
import SpillwaySystem

/// p50 / p99 / p99.9 of a set of latencies, in nanoseconds (nearest rank over every sample;
/// the benchmarks keep all samples and compare with fio's exact percentiles, where the
/// replay reports use the bounded-memory `LatencyHistogram`).
package struct ExactLatencyPercentiles: Codable, Sendable, Equatable {
    package var p50Nanoseconds: UInt64
    package var p99Nanoseconds: UInt64
    package var p999Nanoseconds: UInt64
    package var maxNanoseconds: UInt64

    /// Summarises `samples` (sorted in place). All zero when empty.
    package init(sorting samples: inout [UInt64]) {
        samples.sort()
        func rank(_ fraction: Double) -> UInt64 {
            if samples.isEmpty { return 0 }
            // Nearest rank: the smallest sample with at least `fraction` of samples <= it.
            let index = Int((fraction * Double(samples.count)).rounded(.up)) - 1
            return samples[min(max(index, 0), samples.count - 1)]
        }
        p50Nanoseconds = rank(0.50)
        p99Nanoseconds = rank(0.99)
        p999Nanoseconds = rank(0.999)
        maxNanoseconds = samples.last ?? 0
    }

    enum CodingKeys: String, CodingKey {
        case p50Nanoseconds = "p50_nanoseconds"
        case p99Nanoseconds = "p99_nanoseconds"
        case p999Nanoseconds = "p999_nanoseconds"
        case maxNanoseconds = "max_nanoseconds"
    }
}
