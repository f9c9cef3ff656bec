// `spillway run`: the main job. Generates (or reads) a trace, replays it against a real
// shared region and disk tier as configured, and prints the report.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The main job: replay a trace against a real shared region + disk tier and report.",
        discussion: """
            Reads the configuration (defaults < --config file < SPILLWAY_* env < flags), \
            generates the trace with `trace.*` (or reads `trace.file`), creates the shared \
            region `<region.directory>/vllm_offload_<region.instance_id>.mmap` with the \
            configured geometry and a disk tier in a fresh directory under `disk.directory`, \
            replays the trace in data mode (every stored row holds the deterministic payload, \
            every promotion is checked byte for byte), replays it once more in simulation \
            with no disk tier to show what the disk tier added, and prints the report. The \
            region and the disk tier are removed afterwards (the tier is kept with --keep).

            Exit codes: 0 success; 1 an operating error (message on stderr) or a verify \
            failure; 64 a usage error.

            Examples:
              spillway run --config Config/default.json
              spillway run --config Config/default.json --primary-bytes 64MiB --json
            """
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the table.")
    var json = false

    @Flag(name: .long, help: "No progress line on stderr.")
    var quiet = false

    @Flag(name: .long, help: "Keep the disk tier (synced, closed) for `spillway disk verify`.")
    var keep = false

    func run() throws {
        let configuration = try options.load().configuration
        let (trace, traceSource) = try loadTrace(configuration)
        let settings = try dataModeOptions(configuration)

        let progress =
            quiet || !Terminal.standardErrorIsTerminal
            ? nil : ProgressLine(total: trace.count)
        if !quiet {
            printError(
                "spillway run: \(trace.count) requests (\(traceSource)), \(settings.primaryBlocks) primary rows + \(settings.diskBlocks) disk rows of \(ByteSize.format(UInt64(settings.blockBytes))), policy \(settings.policy.rawValue), disk tier in \(settings.diskDirectory ?? "?")"
            )
        }
        let report: DataModeReport
        do {
            report = try DataModeReplay.run(trace, options: settings) { done, counters in
                progress?.update(done: done, counters: counters)
            }
        } catch let error as DataModeError {
            progress?.finish()
            throw CLIError(error.description)
        }
        progress?.finish()

        let replayReport = report.replayReport(
            primaryOnly: settings.diskBlocks > 0
                ? ReplayCommand.primaryOnly(
                    trace, primaryBlocks: settings.primaryBlocks, policy: settings.policy)
                : nil,
            extraFields: [("trace", traceSource), ("region_segments", String(report.regionSegments))])
        if json { try JSONOutput.print(replayReport) } else { print(replayReport.tableText()) }
        if report.foundDataPathBug { throw CLIError(report.dataPathBugMessage) }
    }

    /// The trace to replay and a short description of where they came from.
    func loadTrace(_ configuration: SpillwayConfiguration) throws -> (MooncakeTrace, String) {
        let file = configuration.trace.file
        guard !file.isEmpty else {
            let parameters = configuration.trace.generator
            return (
                TraceGenerator.trace(parameters: parameters),
                "generated, seed \(parameters.seed)"
            )
        }
        return (try TraceFile.loadForCLI(file), file)
    }

    /// Data-mode settings from the configuration; the disk tier goes in a fresh directory
    /// under `disk.directory`, so a run never reuses or clobbers an existing tier.
    func dataModeOptions(_ configuration: SpillwayConfiguration) throws -> DataModeOptions {
        let parent = configuration.disk.directory
        do {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError(
                "cannot create disk.directory \(parent): \(error.localizedDescription); choose another with --disk-dir"
            )
        }
        let runName = "run-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        let runDirectory = parent + "/" + runName
        // Striped: a run directory of the same name under each extra directory.
        var extraRunDirectories: [String] = []
        for extra in ConfigurationKeys.pathList(configuration.disk.extraDirectories) {
            do {
                try FileManager.default.createDirectory(
                    atPath: extra, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw CLIError(
                    "cannot create disk.extra_directories entry \(extra): \(error.localizedDescription)")
            }
            extraRunDirectories.append(extra + "/" + runName)
        }
        let region = configuration.region
        var settings = DataModeOptions(
            primaryBlocks: configuration.primaryBlockCount,
            diskBlocks: configuration.diskBlockCount, policy: configuration.policy,
            blockBytes: Int(configuration.rowStride), diskDirectory: runDirectory,
            keep: keep, codec: configuration.disk.codec, payload: configuration.payload.kind,
            queueDepth: configuration.disk.queueDepth, directIO: configuration.disk.directIO,
            regionDirectory: region.directory)
        settings.regionGeometry = (
            region.numWorkers, Int(region.cpuPageSize),
            region.layout == .seed ? .seed : .pageAligned
        )
        settings.extraDiskDirectories = extraRunDirectories
        settings.regionInstanceID = region.instanceID
        settings.regionNumSegments = region.numSegments
        settings.compressionThreshold = configuration.disk.compressionThreshold
        settings.syncIntervalBlocks = configuration.disk.syncIntervalBlocks
        settings.stagingBytesMax = Int(
            clamping: configuration.disk.stagingBytesMax)
        return settings
    }
}
