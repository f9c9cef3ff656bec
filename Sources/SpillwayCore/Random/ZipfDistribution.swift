// Samples ranks 0..<n with probability proportional to 1 / (rank + 1)^s (Zipf's law).
import Foundation

/// A Zipf distribution over `count` ranks; rank 0 is the most popular.
///
/// Sampling is a binary search in a precomputed cumulative table: O(n) memory, O(log n)
/// per sample, exact for any exponent including 0 (uniform).
package struct ZipfDistribution: Sendable {
    private let cumulative: [Double]

    /// - Parameters:
    ///   - count: number of ranks, at least 1.
    ///   - exponent: `s >= 0`; 1 is classic Zipf, 0 uniform.
    package init(count: Int, exponent: Double) {
        precondition(count >= 1, "Zipf needs at least one rank")
        precondition(exponent >= 0 && exponent.isFinite, "Zipf exponent must be >= 0")
        var table: [Double] = []
        table.reserveCapacity(count)
        var total = 0.0
        for rank in 0..<count {
            total += 1.0 / pow(Double(rank + 1), exponent)
            table.append(total)
        }
        cumulative = table.map { $0 / total }
    }

    /// Number of ranks.
    package var count: Int { cumulative.count }

    /// The probability of `rank`.
    package func probability(of rank: Int) -> Double {
        rank == 0 ? cumulative[0] : cumulative[rank] - cumulative[rank - 1]
    }

    /// A rank drawn from the distribution.
    package func sample(using generator: inout SeededGenerator) -> Int {
        let u = generator.nextUnitDouble()
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > u { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
