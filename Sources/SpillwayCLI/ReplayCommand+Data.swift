// `spillway replay --data`: the replay through a real region + disk tier, printing the
// counters plus bytes moved, verification failures, time and load latency.
import Foundation
import Spillway

extension ReplayCommand {
    /// Runs the replay in data mode (see `ReplayDataOptions`).
    func runDataMode() throws {
        let options = dataOptions
        let parsed = try loadTrace()
        let settings = DataModeOptions(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy,
            blockBytes: options.blockBytes, diskDirectory: options.diskDir, keep: options.keep,
            codec: DiskCodec(parsing: options.compression)!,
            payload: PayloadKind(parsing: options.payload)!,
            queueDepth: options.queueDepth, directIO: DirectIOMode(rawValue: options.directIO)!)
        let progress =
            quiet || !Terminal.standardErrorIsTerminal
            ? nil : ProgressLine(total: parsed.requests.count)
        let report: DataModeReport
        do {
            report = try DataModeReplay.run(parsed.requests, options: settings) { done, counters in
                progress?.update(done: done, counters: counters)
            }
        } catch let error as DataModeError {
            progress?.finish()
            throw ReplayCommandError(error.description)
        }
        progress?.finish()
        if json {
            print(
                report.counters.jsonObjectText(
                    extraFields: report.jsonFields + skippedField(parsed)))
        } else {
            printTable(report.counters, skipped: parsed.skippedLineNumbers)
            printDataTable(report)
        }
        if report.stats.verifyFailures > 0 || report.stats.diskSelfEvictions > 0 {
            throw ReplayCommandError(
                "data mode found \(report.stats.verifyFailures) verify failures and \(report.stats.diskSelfEvictions) disk self-evictions: this is a bug, please report it with the command line"
            )
        }
    }

    private func printDataTable(_ report: DataModeReport) {
        let mib = 1024.0 * 1024.0
        let seconds = max(report.elapsedSeconds, 1e-9)
        let l = report.loadLatency
        let rows: [(String, String)] = [
            ("block bytes", "\(report.blockBytes)"),
            (
                "bytes written",
                "\(report.stats.bytesWritten) (\(String(format: "%.1f", Double(report.stats.bytesWritten) / mib / seconds)) MiB/s)"
            ),
            (
                "bytes read",
                "\(report.stats.bytesRead) (\(String(format: "%.1f", Double(report.stats.bytesRead) / mib / seconds)) MiB/s)"
            ),
            ("disk bytes written", "\(report.diskBytesWritten)"),
            ("disk bytes read", "\(report.diskBytesRead)"),
            ("verify failures", "\(report.stats.verifyFailures)"),
            ("spill failures", "\(report.stats.spillFailures)"),
            ("elapsed seconds", String(format: "%.3f", report.elapsedSeconds)),
            (
                "load latency",
                String(
                    format: "p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms",
                    Double(l.p50Nanoseconds) / 1e6, Double(l.p99Nanoseconds) / 1e6,
                    Double(l.p999Nanoseconds) / 1e6, Double(l.maxNanoseconds) / 1e6)
            ),
            ("disk directory", report.kept ? "\(report.diskDirectory) (kept)" : "(removed)"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows {
            print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }
}
