// `spillway replay`: replays a Mooncake trace through the tiered store and prints the
// design §4 counters (simulation mode; data mode plugs a real TierDataPath in).
import ArgumentParser
import Foundation
import Spillway

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a Mooncake JSONL trace through the tiered store and print its counters.",
        discussion: """
            Per request (design §4): the longest prefix present in primary or on disk hits \
            (disk-only keys are promoted into primary rows), the rest misses and is stored. \
            Capacities are in blocks. Without --data no bytes move (simulation).
            """
    )

    @Option(name: .long, help: "Mooncake JSONL trace (one request per line with hash_ids).")
    var trace: String

    @Option(name: .long, help: "Primary tier capacity in blocks (rows of the shared region).")
    var primaryBlocks: Int

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

    /// Directory benchmark hook used by scripts/bench-directory.sh until `spillway bench
    /// directory` exists: replay N times (best time) and print DirectoryBenchmark JSON.
    @Option(name: .long, help: .hidden)
    var benchRepeat: Int?

    /// With --bench-repeat: also fill a directory of this many blocks and report its memory.
    @Option(name: .long, help: .hidden)
    var benchMemoryBlocks: Int?

    /// Data mode (`--data` and its options): ReplayCommand+Data.swift.
    @OptionGroup var dataOptions: ReplayDataOptions

    func validate() throws {
        guard primaryBlocks >= 0 else { throw ValidationError("--primary-blocks must be >= 0 (got \(primaryBlocks))") }
        guard diskBlocks >= 0 else { throw ValidationError("--disk-blocks must be >= 0 (got \(diskBlocks))") }
        guard primaryBlocks + diskBlocks <= 100_000_000 else {
            throw ValidationError("--primary-blocks + --disk-blocks must be <= 100000000 (the directory is preallocated)")
        }
    }

    func run() throws {
        if let repeats = benchRepeat {
            try runBenchmark(repeats: repeats)
            return
        }
        if dataOptions.data { return try runDataMode() }
        try run(dataPath: SimulatedDataPath())
    }

    private func runBenchmark(repeats: Int) throws {
        guard repeats >= 1 else { throw ValidationError("--bench-repeat must be >= 1") }
        let parsed = try loadTrace()
        let result = DirectoryBenchmark.replay(
            parsed.requests, primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy,
            repeats: repeats)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var text = String(decoding: try encoder.encode(result), as: UTF8.self)
        if let blocks = benchMemoryBlocks {
            let memory = String(decoding: try encoder.encode(DirectoryBenchmark.memory(blocks: blocks)), as: UTF8.self)
            text = String(text.dropLast()) + ",\"memory\":" + memory + "}"
        }
        print(text)
    }

    /// Loads the trace, replays it through `dataPath`, prints the counters.
    func run<DataPath: TierDataPath>(dataPath: DataPath, extraFields: () -> [(String, String)] = { [] }) throws {
        let parsed = try loadTrace()
        let replay = ReplayEngine(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy, dataPath: dataPath)
        let progress = quiet || !Terminal.standardErrorIsTerminal ? nil : ProgressLine(total: parsed.requests.count)
        replay.replay(parsed.requests) { done in progress?.update(done: done, counters: replay.engine.counters) }
        progress?.finish()
        let counters = replay.counters
        if json {
            print(counters.jsonObjectText(extraFields: extraFields() + skippedField(parsed)))
        } else {
            printTable(counters, skipped: parsed.skippedLineNumbers)
        }
    }

    func skippedField(_ trace: MooncakeTrace) -> [(String, String)] {
        skipBadLines ? [("skipped_lines", "\(trace.skippedLineNumbers.count)")] : []
    }

    func loadTrace() throws -> MooncakeTrace {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: trace)))
        } catch {
            throw ReplayCommandError("cannot read trace '\(trace)': \(error.localizedDescription) (check the path and permissions)")
        }
        do {
            return try MooncakeTrace.parse(bytes, skipBadLines: skipBadLines)
        } catch let error as TraceParseError {
            throw ReplayCommandError("\(trace): \(error)")
        }
    }

    func printTable(_ c: ReplayCounters, skipped: [Int]) {
        let rows: [(String, String)] = [
            ("policy", c.policy.rawValue), ("primary blocks", "\(c.primaryBlocks)"),
            ("disk blocks", "\(c.diskBlocks)"), ("requests", "\(c.requests)"),
            ("blocks", "\(c.blocks)"), ("hit primary", "\(c.hitPrimary)"),
            ("hit disk", "\(c.hitDisk)"), ("miss", "\(c.miss)"),
            ("hit rate", c.hitRateText), ("stored", "\(c.stored)"),
            ("store skipped", "\(c.storeSkipped)"), ("disk writes", "\(c.diskWrites)"),
            ("disk reads", "\(c.diskReads)"), ("primary evictions", "\(c.primaryEvictions)"),
            ("disk evictions", "\(c.diskEvictions)"), ("promote failed", "\(c.promoteFailed)"),
            ("resident primary", "\(c.residentPrimary)"), ("resident disk", "\(c.residentDisk)"),
        ] + (skipBadLines ? [("skipped lines", skipped.isEmpty ? "0" : "\(skipped.count) (lines \(skipped.prefix(10).map(String.init).joined(separator: ", "))\(skipped.count > 10 ? ", ..." : ""))")] : [])
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows {
            print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }
}

extension TieringPolicy: ExpressibleByArgument {}

private extension ReplayCounters {
    var hitRateText: String { String(format: "%.6f", hitRate) }
}

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
