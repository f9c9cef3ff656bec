// The `spillway bench replay` report: whole-process replay against the Python reference,
// plus trace loading and replay-only throughput, as stable-key JSON.
import Spillway
import SpillwayCore
import SpillwaySystem
import Foundation

/// What `spillway bench replay` measured (docs/BENCHMARKS.md, "Replay, whole process").
package struct ReplayBenchmarkReport: Codable, Sendable, Equatable {
    package var trace: String
    package var traceBytes: Int
    package var requests: Int
    package var blocks: Int
    package var primaryBlocks: Int
    package var diskBlocks: Int
    package var policy: String
    /// Whole-process wall seconds of `spillway replay ... --json --quiet`, one per run.
    package var spillwayProcessSeconds: [Double]
    /// Whole-process wall seconds of `python3 scripts/lru_reference.py ...`, same runs.
    package var pythonProcessSeconds: [Double]
    package var spillwayProcessMedianSeconds: Double
    package var pythonProcessMedianSeconds: Double
    /// Python's median over Spillway's median (how many times faster Spillway is).
    package var ratioOfMedians: Double
    /// Geometric mean of the per-run ratios (runs alternate, so each pair shares the noise).
    package var ratioGeometricMean: Double
    /// Loading only (`TraceFile.load`: read + scan), in process, per repeat.
    package var loadSeconds: [Double]
    package var loadMedianSeconds: Double
    package var loadBytesPerSecond: Double
    package var loadBlocksPerSecond: Double
    /// Replay only (trace in memory, simulation), in process, per repeat.
    package var replaySeconds: [Double]
    package var replayMedianSeconds: Double
    package var replayBlockOperationsPerSecond: Double
    /// The two processes printed the same counters.
    package var countersAgree: Bool
    package var spillwayCommand: String
    package var pythonCommand: String

    /// Builds the report from the raw timings; medians and ratios are computed here.
    package init(
        trace: String, traceBytes: Int, requests: Int, blocks: Int, primaryBlocks: Int,
        diskBlocks: Int, policy: String, spillwayProcessSeconds: [Double],
        pythonProcessSeconds: [Double], loadSeconds: [Double], replaySeconds: [Double],
        countersAgree: Bool, spillwayCommand: String, pythonCommand: String
    ) {
        self.trace = trace
        self.traceBytes = traceBytes
        self.requests = requests
        self.blocks = blocks
        self.primaryBlocks = primaryBlocks
        self.diskBlocks = diskBlocks
        self.policy = policy
        self.spillwayProcessSeconds = spillwayProcessSeconds
        self.pythonProcessSeconds = pythonProcessSeconds
        spillwayProcessMedianSeconds = Self.median(spillwayProcessSeconds)
        pythonProcessMedianSeconds = Self.median(pythonProcessSeconds)
        ratioOfMedians = pythonProcessMedianSeconds / spillwayProcessMedianSeconds
        let logs = zip(pythonProcessSeconds, spillwayProcessSeconds).map { log($0 / $1) }
        ratioGeometricMean = exp(logs.reduce(0, +) / Double(max(1, logs.count)))
        self.loadSeconds = loadSeconds
        loadMedianSeconds = Self.median(loadSeconds)
        loadBytesPerSecond = Double(traceBytes) / loadMedianSeconds
        loadBlocksPerSecond = Double(blocks) / loadMedianSeconds
        self.replaySeconds = replaySeconds
        replayMedianSeconds = Self.median(replaySeconds)
        replayBlockOperationsPerSecond = Double(blocks) / replayMedianSeconds
        self.countersAgree = countersAgree
        self.spillwayCommand = spillwayCommand
        self.pythonCommand = pythonCommand
    }

    /// The median (mean of the middle two for an even count).
    package static func median(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "median of nothing")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    enum CodingKeys: String, CodingKey {
        case trace
        case traceBytes = "trace_bytes"
        case requests, blocks
        case primaryBlocks = "primary_blocks"
        case diskBlocks = "disk_blocks"
        case policy
        case spillwayProcessSeconds = "spillway_process_seconds"
        case pythonProcessSeconds = "python_process_seconds"
        case spillwayProcessMedianSeconds = "spillway_process_median_seconds"
        case pythonProcessMedianSeconds = "python_process_median_seconds"
        case ratioOfMedians = "ratio_of_medians"
        case ratioGeometricMean = "ratio_geometric_mean"
        case loadSeconds = "load_seconds"
        case loadMedianSeconds = "load_median_seconds"
        case loadBytesPerSecond = "load_bytes_per_second"
        case loadBlocksPerSecond = "load_blocks_per_second"
        case replaySeconds = "replay_seconds"
        case replayMedianSeconds = "replay_median_seconds"
        case replayBlockOperationsPerSecond = "replay_block_ops_per_second"
        case countersAgree = "counters_agree"
        case spillwayCommand = "spillway_command"
        case pythonCommand = "python_command"
    }
}
