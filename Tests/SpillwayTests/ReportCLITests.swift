// The report, sweep and bench subcommands as real child processes of the built binary:
// JSON with the documented keys, files written, exit codes for bad input, examples in --help.
import Foundation
import SpillwayTesting
import Testing
@testable import SpillwayTools

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct ReportCLITests {
    static func traceFile() throws -> String {
        let traces = try #require(SharedTraces.directory(testFile: #filePath))
        return traces.appendingPathComponent("mooncake-synthetic.jsonl").path
    }

    static func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            "not a JSON object: \(text)")
    }

    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "spillway-report-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Setup: replay at 1000/10000 as a table, and as JSON with --baseline. Checks: the table
    /// shows what the disk tier added; the JSON has the expected keys plus exactly the
    /// baseline keys, primary-only 0.083437.
    @Test func replayReportTableAndBaselineJSON() throws {
        let trace = try Self.traceFile()
        let table = try CLIProcess.run([
            "replay", "--trace", trace, "--primary-blocks", "1000", "--disk-blocks", "10000",
        ])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("disk tier added") && table.stdout.contains("+35.04 points"))
        #expect(table.stdout.contains("43.39%"))
        let json = try CLIProcess.run([
            "replay", "--trace", trace, "--primary-blocks", "1000", "--disk-blocks", "10000",
            "--json", "--baseline",
        ])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try Self.jsonObject(json.stdout)
        #expect(Set(object.keys) == Set(ReplayReportKeys.counter + ReplayReportKeys.baseline))
        #expect("\(object["primary_only_hit_rate"]!)" == "0.083437")
        #expect("\(object["disk_added_hit_rate"]!)" == "0.350418")
    }

    /// Setup: replay --sweep over 2 x 3 capacities into a fresh directory. Checks: exit 0;
    /// sweep.csv has 1 + 6 lines; sweep.json parses with 6 points; sweep.svg parses as XML;
    /// --json prints the same JSON as the file.
    @Test func sweepWritesCSVJSONAndSVG() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let out = directory + "/sweep"
        let result = try CLIProcess.run([
            "replay", "--trace", try Self.traceFile(), "--sweep", "--primary-blocks-list",
            "500,1000",
            "--disk-blocks-list", "0,2000,5000", "--out-dir", out, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let csv = try String(contentsOfFile: out + "/sweep.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 7)
        let fileJSON = try String(contentsOfFile: out + "/sweep.json", encoding: .utf8)
        #expect(fileJSON == result.stdout)
        let points = try #require(try Self.jsonObject(fileJSON)["points"] as? [[String: Any]])
        #expect(points.count == 6)
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: out + "/sweep.svg")))
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
    }

    /// Bad sweep lists and a bad log level exit 64 (usage) with the flag named on stderr and
    /// nothing on stdout; no files are written.
    @Test(arguments: [
        (["--primary-blocks-list", "0,100"], "--primary-blocks-list"),
        (["--primary-blocks-list", "100,abc"], "--primary-blocks-list"),
        (["--disk-blocks-list", "5000,5000"], "--disk-blocks-list"),
        (["--disk-blocks-list", ""], "--disk-blocks-list"),
        (["--log-level", "loud"], "--log-level"),
    ])
    func badSweepInputExitsWithUsage(extra: [String], flag: String) throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CLIProcess.run(
            ["replay", "--trace", try Self.traceFile(), "--sweep", "--out-dir", directory + "/out"]
                + extra)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(flag), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"))
    }

    /// Operating errors exit 1 with a message saying what to check; usage errors exit 64.
    @Test func operatingErrorsExitOneUsageErrorsSixtyFour() throws {
        let trace = try Self.traceFile()
        let cases: [([String], Int32, String)] = [
            (["replay", "--trace", "/nonexistent/t.jsonl", "--sweep"], 1, "cannot read trace"),
            (
                [
                    "replay", "--trace", trace, "--sweep", "--primary-blocks-list", "100",
                    "--disk-blocks-list", "0", "--out-dir", "/proc/spillway-no-such-dir",
                ], 1, "--out-dir"
            ),
            (["bench", "region", "--rows", "2", "--block-bytes", "4KiB", "--region-dir", "/nonexistent-spillway"], 1, "cannot create"),
            (["bench", "region", "--block-bytes", "1000"], 64, "--block-bytes"),
            (["bench", "codec", "--payloads", "bf16,noise"], 64, "--payloads"),
            (["bench", "codec", "--codecs", "zstd"], 64, "--codecs"),
        ]
        for (arguments, status, fragment) in cases {
            let result = try CLIProcess.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
        }
    }

    /// Setup: bench region in a tiny mode in /dev/shm. Checks: exit 0, JSON with the
    /// documented keys, positive rates, the region file removed.
    @Test func benchRegionTiny() throws {
        func benchFiles() throws -> Set<String> {
            Set(
                try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter {
                    $0.contains("spillway-bench-")
                })
        }
        let before = try benchFiles()
        let result = try CLIProcess.run([
            "bench", "region", "--rows", "4", "--block-bytes", "64KiB", "--passes", "1", "--region-dir",
            "/dev/shm", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.jsonObject(result.stdout)
        #expect(
            Set(object.keys) == [
                "rows", "block_bytes", "bytes_per_pass", "passes", "directory",
                "into_region_bytes_per_second",
                "out_of_region_bytes_per_second", "memcpy_bytes_per_second", "into_ratio",
                "out_of_ratio",
            ])
        #expect(object["bytes_per_pass"] as? Int == 4 * 65536)
        for key in [
            "into_region_bytes_per_second", "out_of_region_bytes_per_second",
            "memcpy_bytes_per_second",
        ] {
            #expect((object[key] as? Double ?? 0) > 0, "\(key)")
        }
        let leftovers = try benchFiles().subtracting(before)
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// Setup: bench codec tiny, with --dump. Checks: exit 0; block_bytes/blocks/passes and
    /// one result per (payload, codec) with the documented keys; the dumped files hold
    /// blocks x block_bytes bytes each.
    @Test func benchCodecTiny() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CLIProcess.run([
            "bench", "codec", "--block-bytes", "16KiB", "--blocks", "2", "--passes", "1", "--dump",
            directory, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.jsonObject(result.stdout)
        #expect(Set(object.keys) == ["block_bytes", "blocks", "passes", "results"])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.count == 4 * 3)
        for entry in results {
            #expect(
                Set(entry.keys) == [
                    "payload", "codec", "raw_bytes", "stored_bytes", "ratio",
                    "compress_bytes_per_second",
                    "decompress_bytes_per_second",
                ])
        }
        for kind in ["bf16", "random", "mixed", "zeros"] {
            let size =
                try FileManager.default.attributesOfItem(
                    atPath: directory + "/payload-\(kind).bin")[.size] as? Int
            #expect(size == 2 * 16384, "\(kind)")
        }
    }

    /// Setup: bench directory with one repeat and a small memory fill. Checks: exit 0, the
    /// documented keys, counters equal to the expected file's 1000/10000 configuration.
    @Test func benchDirectoryTiny() throws {
        let result = try CLIProcess.run([
            "bench", "directory", "--trace", try Self.traceFile(), "--primary-blocks", "1000",
            "--disk-blocks", "10000",
            "--repeats", "1", "--memory-blocks", "10000",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.jsonObject(result.stdout)
        #expect(
            Set(object.keys) == [
                "block_operations", "seconds", "block_ops_per_second", "repeats", "counters",
                "memory",
            ])
        let counters = try #require(object["counters"] as? [String: Any])
        #expect("\(counters["hit_rate"]!)" == "0.433855")
        #expect(object["block_operations"] as? Int == 121877)
        let memory = try #require(object["memory"] as? [String: Any])
        #expect(memory["blocks"] as? Int == 10000)
        let bad = try CLIProcess.run([
            "bench", "directory", "--trace", try Self.traceFile(), "--repeats", "0",
        ])
        #expect(bad.status == 64 && bad.stderr.contains("--repeats"))
    }

    /// Every subcommand this suite covers explains itself with an example in --help.
    @Test(arguments: [
        ["replay"], ["bench", "region"], ["bench", "codec"], ["bench", "directory"],
    ])
    func helpHasAnExample(command: [String]) throws {
        let result = try CLIProcess.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"), "\(result.stdout)")
        #expect(result.stdout.contains("spillway " + command.joined(separator: " ")))
    }
}

/// The documented report keys (mirrors ReplayReport's lists so a change there fails here).
enum ReplayReportKeys {
    static let counter = [
        "requests", "blocks", "hit_primary", "hit_disk", "miss", "stored", "store_skipped",
        "disk_writes", "disk_reads", "primary_evictions", "disk_evictions", "promote_failed",
        "resident_primary", "resident_disk", "hit_rate", "primary_blocks", "disk_blocks", "policy",
    ]
    static let baseline = ["primary_only_hit_rate", "disk_added_hit_rate"]
}
