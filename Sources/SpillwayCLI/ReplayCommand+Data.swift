// `spillway replay --data`: the replay through a real region + disk tier, printing the
// counters plus bytes moved, verification failures, time and load latency.
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

extension ReplayCommand {
    /// Runs the replay in data mode (see `ReplayDataOptions`).
    func runDataMode() throws {
        let options = dataOptions
        let parsed = try loadTrace()
        var settings = DataModeOptions(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy,
            blockBytes: options.blockBytes, diskDirectory: options.diskDir, keep: options.keep,
            codec: options.compression, payload: options.payload,
            queueDepth: options.queueDepth, directIO: options.directIO)
        settings.extraDiskDirectories = Array(options.diskDirs.dropFirst())
        // Only a kept tier outlives the replay; a temporary one is removed unsynced.
        settings.syncIntervalBlocks = options.keep ? options.syncEvery : 0
        let progress =
            quiet || !Terminal.standardErrorIsTerminal
            ? nil : ProgressLine(total: parsed.count)
        let report: DataModeReport
        do {
            report = try DataModeReplay.run(parsed, options: settings) { done, counters in
                progress?.update(done: done, counters: counters)
            }
        } catch let error as DataModeError {
            progress?.finish()
            throw ReplayCommandError(error.description)
        }
        progress?.finish()
        let wantsBaseline = diskBlocks > 0 && (baseline ?? !json)
        let full = report.replayReport(
            primaryOnly: wantsBaseline
                ? Self.primaryOnly(parsed, primaryBlocks: primaryBlocks, policy: policy) : nil,
            skippedLines: skipBadLines ? parsed.skippedLineNumbers : nil)
        if json { try JSONOutput.print(full) } else { print(full.tableText()) }
        if report.foundDataPathBug { throw ReplayCommandError(report.dataPathBugMessage) }
    }
}
