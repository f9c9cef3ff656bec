// Hostile inputs to the `spillway` binary: each ends in a one-line error with exit 1 or 64
// (never a trap: 132/133/134), leaves no file behind, and never reports success for output
// it could not write.
import Foundation
import Glibc
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite(
    "CLI hostile inputs",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct CLIHostileInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var arguments: [String]
        var statuses: Set<Int32>
        var message: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let regionID = "hostile-\(getpid())"

    static func region(_ extra: [String]) -> [String] {
        [
            "region", "create", "--instance-id", regionID, "--num-blocks", "2", "--num-workers", "1",
            "--cpu-page-size", "4096", "--region-dir", "/dev/shm",
        ] + extra
    }

    static let cases: [Case] = [
        Case(
            arguments: ["replay", "--trace", "/nonexistent", "--disk-blocks", "9223372036854775807"],
            statuses: [64], message: "--disk-blocks must be <= 100000000"),
        Case(
            arguments: ["disk", "fill", "--disk-dir", "", "--blocks", "1", "--block-bytes", "4096"],
            statuses: [1], message: "the directory path is empty"),
        Case(
            arguments: ["bench", "disk", "--disk-dir", ""], statuses: [1, 64], message: "--disk-dir is empty"),
        Case(
            arguments: region(["--hold-seconds", "1e300"]), statuses: [64],
            message: "--hold-seconds must be a number of seconds"),
        Case(
            arguments: region(["--hold-seconds", "nan"]), statuses: [64],
            message: "--hold-seconds must be a number of seconds"),
        Case(
            arguments: region([
                "--rank", "0", "--fill-pattern", "1", "--tensor-page-sizes", "4000,4000",
                "--checksum-after", "/", "--verify", "--hold-seconds", "0",
            ]), statuses: [64], message: "add up to more than --cpu-page-size 4096"),
        Case(
            arguments: region(["--tensor-page-sizes", "4000,4000", "--hold-seconds", "0"]),
            statuses: [64], message: "add up to more than --cpu-page-size 4096"),
    ]

    @Test("hostile arguments: a one-line error, exit 1 or 64, no region file left", arguments: cases)
    func hostileArguments(_ hostile: Case) throws {
        let outcome = try CLIExitCodeTests.run(hostile.arguments)
        #expect(hostile.statuses.contains(outcome.status), "status \(outcome.status): \(outcome.stderr)")
        #expect(outcome.stderr.contains(hostile.message), "\(outcome.stderr)")
        let leftover = FileManager.default.fileExists(
            atPath: "/dev/shm/vllm_offload_\(Self.regionID).mmap")
        #expect(!leftover, "the region file was left in /dev/shm")
    }

    /// Runs `arguments` with standard output on /dev/full.
    static func runToFullDevice(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = try CLIProcess.executableURL()
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test("output to a full device fails with exit 1, never success or a trap")
    func fullDevice() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let trace = try Self.runToFullDevice(["trace", "generate", "--requests", "2000"])
        #expect(trace.status == 1, "\(trace.stderr)")
        #expect(trace.stderr.contains("cannot write to standard output"), "\(trace.stderr)")
        let version = try Self.runToFullDevice(["config", "show", "--json"])
        #expect(version.status == 1, "\(version.stderr)")
        #expect(version.stderr.contains("cannot write to standard output"), "\(version.stderr)")
    }

    @Test("a checkpoint with generation 2^64-1 and a valid CRC is reported corrupt, never overflows")
    func maximalGeneration() throws {
        let directory = try TierDirectory(under: "/tmp")
        let fill = ["disk", "fill", "--disk-dir", directory.path, "--blocks", "10", "--block-bytes", "4096"]
        #expect(try CLIExitCodeTests.run(fill).status == 0)
        let header = hostileCheckpointHeader(generation: UInt64.max, capacity: 10 * 8192, entryCount: 0)
        try Data(header).write(to: URL(fileURLWithPath: directory.path + "/spillway-index.b"))
        let again = try CLIExitCodeTests.run(fill + ["--first-key", "10", "--capacity-bytes", "163840"])
        #expect(again.status == 0 || again.status == 1, "status \(again.status): \(again.stderr)")
        #expect(again.stderr.contains("corrupt checkpoint spillway-index.b"), "\(again.stderr)")
        let verify = try CLIExitCodeTests.run([
            "disk", "verify", "--disk-dir", directory.path, "--strict", "--pattern", "bf16",
        ])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }

    @Test("a failed tier creation leaves no file behind")
    func failedCreationLeavesNothing() throws {
        let directory = try TierDirectory(under: "/tmp")
        // 4 TiB: more than the file system holds, so reserving the data file fails.
        let outcome = try CLIExitCodeTests.run([
            "disk", "fill", "--disk-dir", directory.path, "--blocks", "1", "--block-bytes", "4096",
            "--capacity-bytes", "4398046511104",
        ])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test("a hard link planted as a checkpoint file is refused, its target untouched")
    func hardLinkedCheckpoint() throws {
        let directory = try TierDirectory(under: "/tmp")
        let fill = ["disk", "fill", "--disk-dir", directory.path, "--blocks", "4", "--block-bytes", "4096"]
        #expect(try CLIExitCodeTests.run(fill).status == 0)
        let victim = (directory.path as NSString).deletingLastPathComponent + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let slot = directory.path + "/spillway-index.a"
        try FileManager.default.removeItem(atPath: slot)
        #expect(link(victim, slot) == 0)
        let outcome = try CLIExitCodeTests.run(fill + ["--first-key", "4"])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("hard links"), "\(outcome.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
    }

    @Test("disk fill of blocks the tier cannot hold names the reason and counts only stored blocks")
    func blocksTooLargeForTheTier() throws {
        let directory = try TierDirectory.filled(blocks: 4, blockBytes: 4096)
        let outcome = try CLIExitCodeTests.run([
            "disk", "fill", "--disk-dir", directory.path, "--blocks", "4", "--block-bytes", "65536",
            "--first-key", "100",
        ])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("synced 0 (4 not stored: 4 noRoom)"), "\(outcome.stderr)")
    }

    @Test("queue depth 4096 with 64 MiB blocks runs within the staging budget instead of aborting")
    func hugeQueueDepth() throws {
        let directory = try TierDirectory(under: "/tmp")
        let outcome = try CLIExitCodeTests.run([
            "disk", "fill", "--disk-dir", directory.path, "--blocks", "2", "--block-bytes", "67108864",
            "--queue-depth", "4096", "--json",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object =
            try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        #expect(object?["jobs_in_flight_max"] as? Int == 3, "\(outcome.stdout)")
        let refused = try CLIExitCodeTests.run([
            "disk", "fill", "--disk-dir", directory.path + "2", "--blocks", "1", "--block-bytes",
            "67108864", "--staging-bytes-max", "1048576",
        ])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("above the staging budget of 1048576 bytes"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "2/spillway-data.0"))
    }

    @Test("SPILLWAY_LOG_LEVEL with a value that is not a level is warned about")
    func badLogLevel() throws {
        let outcome = try CLIExitCodeTests.run(
            ["replay", "--trace", "/nonexistent/trace.jsonl"],
            environment: ["SPILLWAY_LOG_LEVEL": "loud"])
        #expect(outcome.stderr.contains("SPILLWAY_LOG_LEVEL='loud' is not a log level"), "\(outcome.stderr)")
    }
}
