// `spillway run`, the main job, as a real child process: it replays the configured trace in
// data mode with zero verify failures, its counters equal a simulated replay of the same
// generated trace, and it refuses to reuse a region file that already exists.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing
@testable import SpillwayTools

@Suite("spillway run (the main job)")
struct RunCommandTests {
    /// A tiny configuration: 16 KiB rows (2 workers x 8 KiB), 24 primary rows, 96 disk
    /// rows, 120 generated requests; region and disk tier in private scratch directories.
    static func arguments(_ scratch: ScratchDirectory, instanceID: String) -> [String] {
        [
            "run", "--config", defaultConfig, "--quiet", "--json",
            "--set", "region.directory=\(scratch.path)",
            "--set", "region.instance_id=\(instanceID)",
            "--set", "region.cpu_page_size=8KiB",
            "--primary-bytes", "384KiB", "--disk-bytes", "1536KiB",
            "--disk-dir", scratch.sub("disk"),
            "--set", "trace.requests=120",
            "--set", "disk.sync_interval_blocks=16",
        ]
    }

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    static var defaultConfig: String { packageRoot + "/Config/default.json" }

    /// Striped: the disk tier also stripes over a second directory (`disk.extra_directories`).
    @Test(arguments: [false, true])
    func mainJobMatchesSimulationWithZeroVerifyFailures(striped: Bool) throws {
        let scratch = ScratchDirectory()
        let extra = striped ? ["--set", "disk.extra_directories=\(scratch.sub("disk2"))"] : []
        let result = try CLIProcess.run(
            Self.arguments(scratch, instanceID: "run-test-\(getpid())-\(striped)") + extra)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "stdout: \(result.stdout)")
        #expect(object["verify_failures"] as? Int == 0)
        #expect(object["primary_blocks"] as? Int == 24)
        #expect(object["disk_blocks"] as? Int == 96)
        #expect(object["requests"] as? Int == 120)
        #expect((object["disk_reads"] as? Int ?? 0) > 0, "the tiny config must exercise promotions")
        #expect(object["primary_only_hit_rate"] != nil)

        // The same generated trace, replayed in simulation, gives the same counters.
        var parameters = TraceGenerator.Parameters()
        parameters.requests = 120
        let simulated = ReplayEngine(primaryBlocks: 24, diskBlocks: 96, policy: .spill)
        simulated.replay(TraceGenerator.trace(parameters: parameters), progress: nil)
        let expected = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try JSONText.encode(simulated.counters).utf8)) as? [String: Any])
        for key in ReplayReport.counterKeys {
            #expect("\(object[key] ?? "nil")" == "\(expected[key] ?? "nil")", "key \(key)")
        }
        // Nothing left behind: the region is unlinked and the disk tier removed.
        #expect(scratch.regionFiles.isEmpty)
        for directory in striped ? ["disk", "disk2"] : ["disk"] {
            let leftovers =
                (try? FileManager.default.contentsOfDirectory(atPath: scratch.sub(directory))) ?? []
            #expect(leftovers.isEmpty, "\(directory) still holds \(leftovers)")
        }
    }

    /// `region.num_segments` reaches the region end to end: a 2 GiB region (two full GiB)
    /// with `num_segments=2` is made of two files (vLLM 0.33's plan), one with the default
    /// of 1 is one file, and both runs give the same counters with zero verify failures.
    @Test func numSegmentsSplitsTheRunsRegion() throws {
        var counters: [String: String] = [:]
        for segments in [2, 1] {
            let scratch = ScratchDirectory()
            var arguments = Self.arguments(scratch, instanceID: "run-seg\(segments)-\(getpid())")
            // 131072 rows of 16 KiB = 2 GiB; the trace's 120 requests touch a few hundred.
            arguments[arguments.firstIndex(of: "384KiB")!] = "2GiB"
            arguments += ["--set", "region.num_segments=\(segments)"]
            let result = try CLIProcess.run(arguments)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                "stdout: \(result.stdout)")
            #expect(object["region_segments"] as? String == "\(segments)")
            #expect(object["primary_blocks"] as? Int == 131072)
            #expect(object["verify_failures"] as? Int == 0)
            let summary = ReplayReport.counterKeys.map { "\($0)=\(object[$0] ?? "nil")" }.joined(separator: " ")
            counters[String(segments)] = summary
            #expect(scratch.regionFiles.isEmpty, "left \(scratch.regionFiles)")
        }
        #expect(counters["1"] == counters["2"])
    }

    @Test func existingRegionFileIsRefusedNotJoined() throws {
        let scratch = ScratchDirectory()
        let id = "run-stale-\(getpid())"
        // A stale file of exactly the right size (24 rows x 16 KiB): joinable, but a run
        // must never write into a region it did not create.
        scratch.makeFile("vllm_offload_\(id).mmap", size: 24 * 16384)
        let result = try CLIProcess.run(Self.arguments(scratch, instanceID: id))
        #expect(result.status == 1)
        #expect(result.stderr.contains("already exists"), "stderr: \(result.stderr)")
        #expect(scratch.regionFiles == ["vllm_offload_\(id).mmap"], "the stale file is not ours to remove")
    }

    @Test func badConfigurationValueExitsOneNamingTheKey() throws {
        let result = try CLIProcess.run([
            "run", "--config", Self.defaultConfig, "--set", "disk.queue_depth=0",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("disk.queue_depth"), "stderr: \(result.stderr)")
    }
}
