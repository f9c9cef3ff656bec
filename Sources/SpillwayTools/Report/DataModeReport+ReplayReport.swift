// Turns a data-mode replay's result into the replay report both `replay --data` and
// `run` print.
import Spillway
import SpillwaySystem
import SpillwayCore

extension DataModeReport {
    /// The data-mode figures of this run, as the report renders them.
    package var figures: ReplayDataFigures {
        ReplayDataFigures(
            blockBytes: blockBytes, bytesWritten: stats.bytesWritten,
            bytesRead: stats.bytesRead, diskBytesWritten: diskBytesWritten,
            diskBytesRead: diskBytesRead, verifyFailures: stats.verifyFailures,
            spillFailures: stats.spillFailures, diskSelfEvictions: stats.diskSelfEvictions,
            elapsedSeconds: elapsedSeconds, loadLatency: loadLatency,
            diskDirectory: kept ? "\(diskDirectory) (kept)" : "(removed)")
    }

    /// The full report: counters, data-mode figures, and optionally the primary-only
    /// baseline (same trace and primary capacity, disk 0) and skipped trace lines.
    package func replayReport(
        primaryOnly: ReplayCounters? = nil, skippedLines: [Int]? = nil,
        extraFields: [(String, String)] = []
    ) -> ReplayReport {
        ReplayReport(
            counters: counters, primaryOnly: primaryOnly, data: figures,
            skippedLines: skippedLines, extraFields: extraFields)
    }

    /// True when the run found wrong bytes or a disk tier that evicted on its own (a bug).
    package var foundDataPathBug: Bool { stats.verifyFailures > 0 || stats.diskSelfEvictions > 0 }

    /// What to tell the user when `foundDataPathBug`.
    package var dataPathBugMessage: String {
        "data mode found \(stats.verifyFailures) verify failures and \(stats.diskSelfEvictions) disk self-evictions: this is a bug, please report it with the command line and configuration"
    }
}
