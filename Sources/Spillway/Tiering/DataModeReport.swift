// The result of a data-mode replay: the replay counters plus bytes, verification and time.
import SpillwayCore

/// Counters of a data-mode replay and what its data path measured.
package struct DataModeReport: Sendable {
    /// The engine's counters (equal to the simulation's when nothing failed).
    package var counters: ReplayCounters
    package var stats: DataPathStats
    /// Bytes the disk tier itself moved (headers, page rounding, compression included).
    package var diskBytesWritten: Int
    package var diskBytesRead: Int
    /// Seconds from the first request to the last spill settled (setup excluded).
    package var elapsedSeconds: Double
    /// Promotion load latency (submit to reaped completion).
    package var loadLatency: LatencySummary
    /// Where the disk tier was, and whether it was kept.
    package var diskDirectory: String
    package var kept: Bool

    /// Bytes of a block.
    package var blockBytes: Int
    /// Backing files of the shared region (1 unless `regionNumSegments` split a region of
    /// 2 GiB or more, as vLLM 0.33 does).
    package var regionSegments: Int
}

extension String {
    /// `value` with six decimals, without Foundation formatting.
    init(format6 value: Double) {
        let micros = Int((value * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        self =
            "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
