// `spillway bench replay`: the whole `spillway replay` process against the Python reference
// (scripts/lru_reference.py) on the same trace, alternating, plus load and replay throughput.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

struct BenchReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract:
            "Time the whole replay process against the Python reference on the same trace.",
        discussion: """
            Runs, --runs times and alternating, this executable's `replay --trace T \
            --primary-blocks P --disk-blocks D --policy X --json --quiet` and `python3 \
            scripts/lru_reference.py T --primary-blocks P --disk-blocks D --policy X`, timing \
            each whole process (start to exit, trace loading included), and checks that both \
            print the same counters. Then, in this process, loads the trace --repeats times \
            (read + scan, `TraceFile.load`) and replays it --repeats times (simulation). \
            Prints one JSON object (keys in docs/CLI.md); exits 1 if the counters differ.

            Example:
              spillway trace generate --requests 46000 --seed 7 --out /tmp/t46k.jsonl
              spillway bench replay --trace /tmp/t46k.jsonl --runs 5
            """
    )

    @OptionGroup var options: BenchTraceOptions

    @Option(help: "Whole-process runs of each side (alternating).")
    var runs: Int = 5

    @Option(help: "In-process load and replay repeats.")
    var repeats: Int = 5

    @Option(help: "The Python reference script (default: scripts/lru_reference.py here or beside the build).")
    var reference: String?

    @Option(help: "The Python interpreter.")
    var python: String = "python3"

    @OptionGroup var logging: LogOptions

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be >= 1 (got \(runs))") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be >= 1 (got \(repeats))") }
    }

    func run() throws {
        let (trace, primaryBlocks, diskBlocks, policy) = (
            options.trace, options.primaryBlocks, options.diskBlocks, options.policy
        )
        let logger = logging.bootstrap(label: "bench.replay")
        let script = try referenceScript()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let capacity = [
            "--primary-blocks", String(primaryBlocks), "--disk-blocks", String(diskBlocks),
            "--policy", policy.rawValue,
        ]
        let spillwayArguments = ["replay", "--trace", trace] + capacity + ["--json", "--quiet"]
        let pythonArguments = [script, trace] + capacity
        var spillwaySeconds: [Double] = []
        var pythonSeconds: [Double] = []
        var agree = true
        for run in 1...runs {
            let swift = try Self.timeProcess(executable, spillwayArguments)
            let python = try Self.timeProcess(self.python, pythonArguments)
            spillwaySeconds.append(swift.seconds)
            pythonSeconds.append(python.seconds)
            agree = agree && Self.sameCounters(swift.output, python.output)
            logger.info("bench replay run \(run): spillway \(swift.seconds) s, python \(python.seconds) s")
        }
        var loaded = MooncakeTrace()
        var loadSeconds: [Double] = []
        for _ in 0..<repeats {
            let clock = ContinuousClock()
            let start = clock.now
            loaded = try TraceFile.loadForCLI(trace)
            loadSeconds.append(ProgressLine.seconds(clock.now - start))
        }
        var replaySeconds: [Double] = []
        for _ in 0..<repeats {
            let result = DirectoryBenchmark.replay(
                loaded, primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy, repeats: 1)
            replaySeconds.append(result.seconds)
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: trace)[.size] as? Int) ?? 0
        let report = ReplayBenchmarkReport(
            trace: trace, traceBytes: bytes, requests: loaded.count, blocks: loaded.blockCount,
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy.rawValue,
            spillwayProcessSeconds: spillwaySeconds, pythonProcessSeconds: pythonSeconds,
            loadSeconds: loadSeconds, replaySeconds: replaySeconds, countersAgree: agree,
            spillwayCommand: ([executable] + spillwayArguments).joined(separator: " "),
            pythonCommand: ([python] + pythonArguments).joined(separator: " "))
        try JSONOutput.print(report)
        if !agree { throw CLIError("spillway and the Python reference printed different counters") }
    }

    /// --reference, else scripts/lru_reference.py in the working directory, else in the
    /// repository the build directory sits in (`.build/<configuration>/spillway`).
    func referenceScript() throws -> String {
        if let reference {
            guard FileManager.default.fileExists(atPath: reference) else {
                throw CLIError("--reference \(reference) does not exist")
            }
            return reference
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [
            "scripts/lru_reference.py",
            executable.deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/lru_reference.py").path,
        ]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw CLIError(
                "scripts/lru_reference.py not found here or beside the build; run from the repository or pass --reference")
        }
        return found
    }

    /// Runs a process to completion; its wall time (spawn to exit, `TimedChildProcess`) and
    /// stdout. Fails on a nonzero exit or a signal.
    static func timeProcess(_ executable: String, _ arguments: [String]) throws -> (seconds: Double, output: String) {
        let child: TimedChildProcess
        do { child = try TimedChildProcess.run(executable, arguments) } catch {
            throw CLIError("\(error)")
        }
        guard child.exitStatus == 0 else {
            let how = child.signal.map { "was killed by signal \($0)" } ?? "exited with status \(child.exitStatus ?? -1)"
            throw CLIError("\(executable) \(arguments.joined(separator: " ")) \(how)")
        }
        return (child.seconds, String(decoding: child.output, as: UTF8.self))
    }

    /// Both JSON objects have the same value for every counter key they share (at least
    /// requests, blocks and the hits).
    static func sameCounters(_ a: String, _ b: String) -> Bool {
        guard let x = try? JSONSerialization.jsonObject(with: Data(a.utf8)) as? [String: Any],
            let y = try? JSONSerialization.jsonObject(with: Data(b.utf8)) as? [String: Any]
        else { return false }
        let shared = Set(x.keys).intersection(y.keys).subtracting(["policy", "hit_rate"])
        guard shared.isSuperset(of: ["requests", "blocks", "hit_primary", "hit_disk", "miss"]) else { return false }
        return shared.allSatisfy { (x[$0] as? Int) == (y[$0] as? Int) }
    }
}
