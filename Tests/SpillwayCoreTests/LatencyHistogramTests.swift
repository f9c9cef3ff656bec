// LatencyHistogram percentiles against a sorted-array reference.
import Testing

@testable import SpillwayCore

@Suite("Latency histogram")
struct LatencyHistogramTests {
    /// The reference: the smallest value with at least `perMille`/1000 of the values at or
    /// below it (integer arithmetic, so p99.9 of 20000 values is exactly rank 19980).
    static func reference(_ sorted: [UInt64], perMille: Int) -> UInt64 {
        let rank = max(1, (perMille * sorted.count + 999) / 1000)
        return sorted[min(rank, sorted.count) - 1]
    }

    @Test(
        "percentiles within 0.1% of the exact order statistic", arguments: [31 as UInt64, 32, 33])
    func againstSortedArray(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var histogram = LatencyHistogram()
        var values: [UInt64] = []
        for _ in 0..<20_000 {
            // Log-uniform from 100 ns to ~10 s, like real latencies with a long tail.
            let exponent = 2 + random.nextUnitDouble() * 8
            let value = UInt64(pow10(exponent))
            values.append(value)
            histogram.record(nanoseconds: value)
        }
        values.sort()
        #expect(histogram.count == 20_000)
        for perMille in [500, 900, 990, 999, 1000] {
            let percentile = Double(perMille) / 10
            let exact = Self.reference(values, perMille: perMille)
            let reported = histogram.nanoseconds(atPercentile: percentile)
            #expect(
                reported >= exact && Double(reported - exact) <= Double(exact) * 0.001 + 1,
                "seed \(seed) p\(percentile): reported \(reported) exact \(exact)")
        }
        #expect(histogram.maxNanoseconds == values.last)
        // The summary's figures against the sorted array, each within the same documented
        // bound (at or above the exact order statistic, at most 0.1% above it).
        let summary = histogram.summary
        #expect(summary.count == UInt64(values.count))
        #expect(summary.maxNanoseconds == values.last)
        let reportedByPerMille: [(Int, UInt64)] = [
            (500, summary.p50Nanoseconds), (900, summary.p90Nanoseconds),
            (990, summary.p99Nanoseconds), (999, summary.p999Nanoseconds),
        ]
        for (perMille, reported) in reportedByPerMille {
            let exact = Self.reference(values, perMille: perMille)
            #expect(
                reported >= exact && Double(reported - exact) <= Double(exact) * 0.001 + 1,
                "seed \(seed) summary p\(Double(perMille) / 10): reported \(reported) exact \(exact)"
            )
        }
        let mean = Double(values.reduce(0, +)) / Double(values.count)
        #expect(abs(summary.meanNanoseconds - mean) <= mean * 0.001, "seed \(seed)")
    }

    @Test("small exact cases, zero, empty and merge")
    func exactCases() {
        var histogram = LatencyHistogram()
        #expect(
            histogram.summary.count == 0 && histogram.nanoseconds(atPercentile: 99) == 0
                && histogram.maxNanoseconds == 0)
        for value: UInt64 in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] { histogram.record(nanoseconds: value) }
        #expect(histogram.nanoseconds(atPercentile: 50) == 4)
        #expect(histogram.nanoseconds(atPercentile: 90) == 8)
        #expect(histogram.maxNanoseconds == 9)
        var other = LatencyHistogram()
        other.record(nanoseconds: 5_000_000_000)  // beyond the initial 1 s range: grows
        histogram.merge(other)
        #expect(histogram.count == 11)
        #expect(histogram.maxNanoseconds == 5_000_000_000)
    }

    private func pow10(_ exponent: Double) -> Double {
        var result = 1.0
        var remaining = exponent
        while remaining >= 1 {
            result *= 10
            remaining -= 1
        }
        return result * exp10Fraction(remaining)
    }

    /// 10^f for f in [0, 1) via exp(f ln 10), avoiding a Foundation import for one call.
    private func exp10Fraction(_ f: Double) -> Double {
        // Taylor series of e^x with x = f * ln 10 (< 2.31): 30 terms are exact to double.
        let x = f * 2.302585092994046
        var term = 1.0
        var sum = 1.0
        for n in 1..<40 {
            term *= x / Double(n)
            sum += term
        }
        return sum
    }
}
