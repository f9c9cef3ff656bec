// `spillway bench disk --layer tier --compare-compression`: the same tier with its codec off
// and on in one run, alternating, for each payload kind: the store and load rates of the two
// and the capacity compression gained (with rows stored raw when the encoders fall behind).
import Spillway
import SpillwaySystem
import SpillwayCore

/// Runs `TierBenchmark` with codec `none` and with the codec asked for, alternating which
/// goes first, `runs` times per payload kind.
package enum TierCompressionComparison {
    /// - Parameter progress: told about each run as it finishes (for a log on stderr).
    package static func run(
        _ options: DiskBenchmarkOptions, codec: DiskCodec, payloads: [PayloadKind], runs: Int,
        encoderThreads: Int, progress: (DiskBenchmarkReport) -> Void = { _ in }
    ) throws -> TierCompressionReport {
        precondition(codec != .none && runs > 0 && !payloads.isEmpty)
        var comparisons: [TierCompressionReport.PayloadComparison] = []
        var queueDepth = options.queueDepth
        var threadsUsed = 0
        for payload in payloads {
            var off: [DiskBenchmarkReport] = []
            var on: [DiskBenchmarkReport] = []
            for index in 0..<runs {
                // Odd runs put the compressed tier first, so neither side always follows
                // the other (page cache, device write-back, thermal state).
                for compressed in index % 2 == 0 ? [false, true] : [true, false] {
                    let report = try TierBenchmark.run(
                        options, codec: compressed ? codec : .none, payload: payload,
                        encoderThreads: compressed ? encoderThreads : 0)
                    progress(report)
                    queueDepth = report.queueDepth
                    if compressed {
                        threadsUsed = report.encoderThreads ?? 0
                        on.append(report)
                    } else {
                        off.append(report)
                    }
                }
            }
            comparisons.append(.init(payload: payload.description, off: off, on: on))
        }
        return TierCompressionReport(
            blockBytes: options.blockBytes, queueDepth: queueDepth,
            totalBytes: options.totalBytes, codec: codec.description,
            encoderThreads: threadsUsed, runs: runs, payloads: comparisons)
    }
}
