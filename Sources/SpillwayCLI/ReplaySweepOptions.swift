// `spillway replay --sweep`: simulated replays over a grid of primary and disk capacities,
// written as CSV, JSON and an SVG chart of hit rate against total capacity.
import ArgumentParser
import Foundation
import Logging
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

/// The sweep options of `spillway replay` and the sweep itself.
struct ReplaySweepOptions: ParsableArguments {
    @Flag(
        name: .long,
        help:
            "Replay over every pair of --primary-blocks-list x --disk-blocks-list (simulation) and write sweep.csv, sweep.json and sweep.svg to --out-dir."
    )
    var sweep = false

    @Option(
        name: .customLong("primary-blocks-list"),
        help: "Sweep: comma-separated primary capacities in blocks (each >= 1; 2k = 2000).")
    var primaryBlocksList: String = "250,500,1000,2000"

    @Option(
        name: .customLong("disk-blocks-list"),
        help:
            "Sweep: comma-separated disk capacities in blocks (>= 0; include 0 for the primary-only reference line)."
    )
    var diskBlocksList: String = "0,5000,10000,20000"

    @Option(
        name: .customLong("out-dir"),
        help: "Sweep: directory for sweep.csv, sweep.json, sweep.svg (created if missing).")
    var outDir: String = "spillway-sweep"

    /// The parsed lists (throws `ValidationError` naming the bad entry).
    func lists() throws -> (primary: [Int], disk: [Int]) {
        do {
            let primary = try ReplaySweep.parseList(
                primaryBlocksList, name: "--primary-blocks-list", minimum: 1)
            let disk = try ReplaySweep.parseList(
                diskBlocksList, name: "--disk-blocks-list", minimum: 0)
            guard primary.count * disk.count <= 400 else {
                throw SweepListError(
                    "the sweep has \(primary.count * disk.count) points; keep it to 400 or fewer")
            }
            return (primary, disk)
        } catch let error as SweepListError {
            throw ValidationError(error.description)
        }
    }

    func validate() throws {
        if sweep { _ = try lists() }
    }

    /// Runs the sweep over `parsed` and writes the three files; prints the hit-rate grid
    /// (or, with `json`, the sweep JSON) on stdout.
    func run(
        trace parsed: MooncakeTrace, path trace: String, policy: TieringPolicy, json: Bool, quiet: Bool,
        logger: Logger
    ) throws {
        let (primary, disk) = try lists()
        let showProgress = !quiet && Terminal.standardErrorIsTerminal
        let result = ReplaySweep(
            trace: parsed, primaryBlocksList: primary, diskBlocksList: disk, policy: policy
        ) { done, total in
            logger.debug("sweep: \(done)/\(total) replays")
            if showProgress {
                FileHandle.standardError.write(Data("\rsweep: \(done)/\(total) replays ".utf8))
                if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
            }
        }
        let jsonText = try JSONText.encode(ReplaySweep.Document(trace: trace, sweep: result))
        let title = "Hit rate vs capacity: " + (trace as NSString).lastPathComponent
        let files = [
            ("sweep.csv", result.csvText()), ("sweep.json", jsonText + "\n"),
            ("sweep.svg", SweepChart.svg(result, title: title)),
        ]
        do {
            try FileManager.default.createDirectory(
                atPath: outDir, withIntermediateDirectories: true)
            for (name, text) in files {
                try Data(text.utf8).write(to: URL(fileURLWithPath: outDir + "/" + name))
            }
        } catch {
            throw CLIError(
                "cannot write the sweep to \(outDir): \(error.localizedDescription) (check --out-dir and its permissions)"
            )
        }
        logger.info("sweep: wrote \(files.map { outDir + "/" + $0.0 }.joined(separator: ", "))")
        if json {
            try StandardOutput.write(Data((jsonText + "\n").utf8))
        } else {
            print(
                "hit rate, policy \(policy.rawValue) (rows: primary blocks, columns: disk blocks)")
            print(result.tableText())
            print("")
            print("wrote " + files.map { outDir + "/" + $0.0 }.joined(separator: ", "))
        }
    }
}
