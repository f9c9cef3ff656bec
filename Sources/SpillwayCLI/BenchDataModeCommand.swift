// `spillway bench data-mode`: the data-mode replay (`replay --data`) against fio on the same
// directory in the same run, printed as a fraction of the raw device speed.
import ArgumentParser
import Foundation
import Spillway
import SpillwayTools

struct BenchDataModeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data-mode",
        abstract: "Time data-mode replays against fio on the same directory, as a device-speed ratio.",
        discussion: """
            Per run: replays the trace in data mode (region in /dev/shm, disk tier in a fresh \
            directory under --disk-dir, random payload verified on every promotion, as \
            `replay --data`), then runs fio on --disk-dir: a sequential O_DIRECT io_uring \
            write of --fio-bytes with end_fsync, then a random read of it, same block size, \
            --fio-queue-depth. device_seconds = the replay's disk bytes written / fio's write \
            rate + bytes read / fio's read rate; device_speed_ratio = device_seconds / \
            replay_seconds. Prints one JSON object. A replay with verify failures or disk \
            self-evictions (a bug) ends the series before its fio run: the JSON then has the \
            runs so far (that one last, its fio fields null) and the command exits 1.

            Example:
              spillway bench data-mode --trace Tests/Fixtures/traces/mooncake-synthetic.jsonl \\
                --disk-dir /tmp/spw-data --runs 3
            """
    )

    @OptionGroup var options: BenchTraceOptions

    @Option(help: "Directory for the replay's disk tier and fio's file (created 0700).")
    var diskDir: String = "/tmp/spillway-bench-data"

    @Option(name: .customLong("block-bytes"), help: "Bytes per block (row).", transform: ByteCount.parse)
    var blockByteCount = ByteCount(256 << 10)

    @Option(help: "The replay's io_uring queue depth (disk jobs in flight).")
    var queueDepth: Int = 64

    @Option(help: "fio's iodepth.")
    var fioQueueDepth: Int = 32

    @Option(help: "Bytes fio writes then reads per run.", transform: ByteCount.parse)
    var fioBytes = ByteCount(2 << 30)

    @Option(help: "Codec of spilled blocks.")
    var compression: DiskCodec = .none

    @Option(help: "Payload written per block.")
    var payload: PayloadKind = .random

    @Option(help: "Runs (each a replay, then fio).")
    var runs: Int = 1

    @Option(help: "The fio executable.")
    var fio: String = "fio"

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be >= 1 (got \(runs))") }
        guard blockByteCount.int >= 4096, blockByteCount.int % 4096 == 0 else {
            throw ValidationError("--block-bytes must be a positive multiple of 4096")
        }
        guard fioBytes.int >= blockByteCount.int else {
            throw ValidationError("--fio-bytes must be at least --block-bytes")
        }
    }

    func run() throws {
        let trace = try TraceFile.loadForCLI(options.trace)
        try FileManager.default.createDirectory(
            atPath: diskDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (results, dataPathBug) = try DataModeBenchmarkReport.measure(runs: runs) { run in
            var settings = DataModeOptions(
                primaryBlocks: options.primaryBlocks, diskBlocks: options.diskBlocks,
                policy: options.policy, blockBytes: blockByteCount.int,
                diskDirectory: diskDir + "/replay-\(run)", codec: compression, payload: payload,
                queueDepth: queueDepth, directIO: .required)
            settings.syncIntervalBlocks = 0
            let before = Self.cpuSeconds()
            let report: DataModeReport
            do {
                report = try DataModeReplay.run(trace, options: settings)
            } catch let error as DataModeError {
                throw CLIError(error.description)
            }
            let after = Self.cpuSeconds()
            let measured = DataModeBenchmarkReport.Run(
                replaySeconds: report.elapsedSeconds, replayUserSeconds: after.user - before.user,
                replaySystemSeconds: after.system - before.system,
                diskBytesWritten: report.diskBytesWritten, diskBytesRead: report.diskBytesRead,
                verifyFailures: report.stats.verifyFailures,
                diskSelfEvictions: report.stats.diskSelfEvictions)
            return (measured, report.foundDataPathBug ? report.dataPathBugMessage : nil)
        } fio: {
            let write = try runFio(rw: "write", extra: ["--end_fsync=1"])
            let read = try runFio(rw: "randread", extra: [])
            try? FileManager.default.removeItem(atPath: diskDir + "/fio-bench.dat")
            return (write, read)
        }
        try JSONOutput.print(
            DataModeBenchmarkReport(
                trace: options.trace, primaryBlocks: options.primaryBlocks,
                diskBlocks: options.diskBlocks, blockBytes: blockByteCount.int,
                queueDepth: queueDepth, fioQueueDepth: fioQueueDepth,
                payload: payload.description, compression: compression.description, runs: results))
        if let dataPathBug {
            throw CLIError(
                "bench data-mode stopped at run \(results.count) of \(runs) without running fio for it"
                    + " (the JSON above has the runs so far): \(dataPathBug)")
        }
    }

    /// Runs one fio job on `--disk-dir` and returns its bytes per second.
    func runFio(rw: String, extra: [String]) throws -> Double {
        let arguments =
            [
                "--name=\(rw)", "--rw=\(rw)", "--directory=\(diskDir)", "--filename=fio-bench.dat",
                "--bs=\(blockByteCount.int)", "--iodepth=\(fioQueueDepth)", "--ioengine=io_uring",
                "--direct=1", "--size=\(fioBytes.int / blockByteCount.int * blockByteCount.int)",
                "--output-format=json",
            ] + extra
        let (_, output) = try BenchReplayCommand.timeProcess(fio, arguments)
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
            let jobs = object["jobs"] as? [[String: Any]],
            let side = jobs.first?[rw == "write" ? "write" : "read"] as? [String: Any],
            let rate = (side["bw_bytes"] as? NSNumber)?.doubleValue, rate > 0
        else { throw CLIError("fio \(rw) printed no bandwidth") }
        return rate
    }

    /// This process's user and system CPU seconds so far.
    static func cpuSeconds() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }
}
