// `spillway replay`: replays a Mooncake trace through the tiered store and prints the
// replay counters of docs/SEMANTICS.md (simulation mode; data mode plugs a real TierDataPath in).
import ArgumentParser
import Foundation
import Logging
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a Mooncake JSONL trace through the tiered store and print its counters.",
        discussion: """
            Per request (docs/SEMANTICS.md): the longest prefix present in primary or on disk hits \
            (disk-only keys are promoted into primary rows), the rest misses and is stored. \
            Capacities are in blocks. Without --data no bytes move (simulation).

            The table shows hit rates per tier, the counters and, when --disk-blocks > 0, what \
            the disk tier added: the hit rate of a second simulated replay with the same \
            primary capacity and disk 0 (--no-baseline skips it; with --json it is added only \
            when --baseline is given, so the default JSON keys stay those of the expected file). \
            --sweep replays a grid of capacities and writes CSV, JSON and an SVG chart.

            Examples:
              spillway replay --trace t.jsonl --primary-blocks 1000 --disk-blocks 10000
              spillway replay --trace t.jsonl --primary-blocks 1000 --disk-blocks 10000 --json
              spillway replay --trace t.jsonl --sweep --primary-blocks-list 250,500,1000,2000 \\
                  --disk-blocks-list 0,5000,10000 --out-dir sweep
            """
    )

    @Option(name: .long, help: "Mooncake JSONL trace (one request per line with hash_ids).")
    var trace: String

    @Option(name: .long, help: "Primary tier capacity in blocks (rows of the shared region).")
    var primaryBlocks: Int = 1000

    @Option(name: .long, help: "Disk tier capacity in blocks (0: no disk tier).")
    var diskBlocks: Int = 0

    @Option(name: .long, help: "spill (write to disk on primary eviction) or write-through (on store).")
    var policy: TieringPolicy = .spill

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    @Flag(name: .long, help: "Skip malformed trace lines and count them instead of failing.")
    var skipBadLines = false

    @Flag(name: .long, help: "No progress line on stderr.")
    var quiet = false

    @Flag(
        inversion: .prefixedNo,
        help: "Also replay with disk 0 to show what the disk tier added (default: in the table when --disk-blocks > 0, not in --json).")
    var baseline: Bool?

    @OptionGroup var sweepOptions: ReplaySweepOptions

    @OptionGroup var logging: LogOptions

    /// Data mode (`--data` and its options): ReplayCommand+Data.swift.
    @OptionGroup var dataOptions: ReplayDataOptions

    func validate() throws {
        guard primaryBlocks >= 0 else { throw ValidationError("--primary-blocks must be >= 0 (got \(primaryBlocks))") }
        guard diskBlocks >= 0 else { throw ValidationError("--disk-blocks must be >= 0 (got \(diskBlocks))") }
        // Each bound on its own first: their sum must not overflow.
        guard primaryBlocks <= 100_000_000, diskBlocks <= 100_000_000,
            primaryBlocks + diskBlocks <= 100_000_000
        else {
            throw ValidationError("--primary-blocks + --disk-blocks must be <= 100000000 (the directory is preallocated)")
        }
    }

    func run() throws {
        let logger = logging.bootstrap(label: "replay")
        if sweepOptions.sweep {
            let parsed = try loadTrace()
            try sweepOptions.run(
                trace: parsed, path: trace, policy: policy, json: json, quiet: quiet,
                logger: logger)
            return
        }
        if dataOptions.data { return try runDataMode() }
        try run(dataPath: SimulatedDataPath())
    }

    /// Loads the trace, replays it through `dataPath`, prints the report (table or JSON).
    /// Data mode passes its measurements through `dataFigures` (called after the replay).
    func run<DataPath: TierDataPath>(
        dataPath: DataPath, extraFields: () -> [(String, String)] = { [] },
        dataFigures: () -> ReplayDataFigures? = { nil }
    ) throws {
        let parsed = try loadTrace()
        let replay = ReplayEngine(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy, dataPath: dataPath)
        let progress = quiet || !Terminal.standardErrorIsTerminal ? nil : ProgressLine(total: parsed.count)
        replay.replay(parsed) { done in progress?.update(done: done, counters: replay.engine.counters) }
        progress?.finish()
        let wantsBaseline = diskBlocks > 0 && (baseline ?? !json)
        let report = ReplayReport(
            counters: replay.counters,
            primaryOnly: wantsBaseline ? Self.primaryOnly(parsed, primaryBlocks: primaryBlocks, policy: policy) : nil,
            data: dataFigures(), skippedLines: skipBadLines ? parsed.skippedLineNumbers : nil,
            extraFields: extraFields())
        if json { try JSONOutput.print(report) } else { print(report.tableText()) }
    }

    /// The same trace and primary capacity with disk 0, simulated.
    static func primaryOnly(_ trace: MooncakeTrace, primaryBlocks: Int, policy: TieringPolicy) -> ReplayCounters {
        let replay = ReplayEngine(primaryBlocks: primaryBlocks, diskBlocks: 0, policy: policy)
        replay.replay(trace)
        return replay.counters
    }

    func loadTrace() throws -> MooncakeTrace {
        try TraceFile.loadForCLI(trace, skipBadLines: skipBadLines)
    }
}

extension TieringPolicy: ExpressibleByArgument {}

/// A replay error with a message that says what to do; ArgumentParser prints it on stderr
/// and exits nonzero.
struct ReplayCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The progress line on stderr: requests done, hit rate so far, request rate; redrawn at
/// most 10 times a second.
final class ProgressLine {
    let total: Int
    let clock = ContinuousClock()
    let start: ContinuousClock.Instant
    var lastDraw: ContinuousClock.Instant

    init(total: Int) {
        self.total = total
        start = clock.now
        lastDraw = start
    }

    func update(done: Int, counters: TieringCounters) {
        guard done & 255 == 0 || done == total else { return }
        let now = clock.now
        guard now - lastDraw >= .milliseconds(100) || done == total else { return }
        lastDraw = now
        let seconds = Self.seconds(now - start)
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let line = String(
            format: "\rreplay: %d/%d requests  hit rate %.4f  %.0f requests/s ", done, total,
            counters.hitRate, rate)
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }

    func finish() { FileHandle.standardError.write("\n".data(using: .utf8)!) }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
