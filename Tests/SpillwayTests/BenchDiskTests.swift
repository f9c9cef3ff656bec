// The disk benchmark: percentile arithmetic, and the real `spillway bench disk --json` run
// as a child process on small sizes (its JSON keys are what scripts/bench-compare.sh reads).
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import Testing
@testable import SpillwayTools

@Suite("bench disk")
struct BenchDiskTests {
    @Test("nearest-rank percentiles over 1...1000 and edge cases")
    func latencySummary() {
        var samples = (1...1000).map { UInt64($0) }.shuffled()
        let summary = ExactLatencyPercentiles(sorting: &samples)
        #expect(summary.p50Nanoseconds == 500)
        #expect(summary.p99Nanoseconds == 990)
        #expect(summary.p999Nanoseconds == 999)
        #expect(summary.maxNanoseconds == 1000)
        var one: [UInt64] = [7]
        #expect(ExactLatencyPercentiles(sorting: &one).p999Nanoseconds == 7)
        var none: [UInt64] = []
        #expect(ExactLatencyPercentiles(sorting: &none).p50Nanoseconds == 0)
    }

    @Test("options validation names the flag to change")
    func optionsValidation() {
        func problem(_ block: Int, _ depth: Int, _ total: UInt64) -> String? {
            DiskBenchmarkOptions(
                directory: "/x", blockBytes: block, queueDepth: depth, totalBytes: total
            )
            .problem()
        }
        #expect(problem(4096, 1, 4096) == nil)
        #expect(problem(1000, 1, 4096)?.contains("--block-bytes") == true)
        #expect(problem(4096, 0, 4096)?.contains("--queue-depth") == true)
        #expect(problem(4096, 1, 6000)?.contains("--bytes") == true)
        #expect(problem(8192, 1, 4096)?.contains("--bytes") == true)
    }

    @Test(
        "spillway bench disk --json on /tmp reports the fields bench-compare.sh reads",
        .enabled(if: IOURingSupport.unavailableReason() == nil, "io_uring unavailable"))
    func cliJSON() throws {
        let report = try Self.benchJSON { directory in
            [
                "bench", "disk", "--disk-dir", directory, "--block-bytes", "65536", "--queue-depth", "4",
                "--bytes", "4194304", "--seed", "3", "--json",
            ]
        }
        #expect(report["layer"] as? String == "io")
        #expect(report["block_bytes"] as? Int == 65536)
        #expect(report["queue_depth"] as? Int == 4)
        #expect(report["block_count"] as? Int == 64)
        #expect(report["direct_io"] as? Bool == true)
        #expect((report["write_bytes_per_second"] as? Double ?? 0) > 0)
        #expect((report["write_bytes_per_second_including_sync"] as? Double ?? 0) > 0)
        #expect((report["read_bytes_per_second"] as? Double ?? 0) > 0)
        try expectOrderedLatencies(report)
    }

    /// Runs `spillway` with the arguments made for a fresh /tmp directory, expects exit 0,
    /// parses its stdout as one JSON object, and checks the benchmark left nothing behind.
    static func benchJSON(_ arguments: (String) -> [String]) throws -> [String: Any] {
        let binary = try CLIProcess.executableURL()
        var template = Array("/tmp/spillway-bench-test-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments(directory)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The benchmark's files are removed afterwards.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test(
        "spillway bench disk --layer tier --json: rows through the disk tier, ratio reported",
        .enabled(if: IOURingSupport.unavailableReason() == nil, "io_uring unavailable"),
        arguments: [("none", "random"), ("lz4-shuffle", "bf16"), ("lz4", "zeros")])
    func cliTierJSON(compression: String, payload: String) throws {
        let binary = try CLIProcess.executableURL()
        var template = Array("/tmp/spillway-bench-test-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "bench", "disk", "--layer", "tier", "--disk-dir", directory, "--block-bytes", "65536",
            "--queue-depth", "4", "--bytes", "4194304", "--seed", "5", "--compression",
            compression, "--payload", payload, "--json",
            // Inline: every row is compressed, so the ratios below are exact.
            "--encoder-threads", "0",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(
            decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "stderr: \(message)")
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(report["layer"] as? String == "tier")
        #expect(report["compression"] as? String == compression)
        #expect(report["payload"] as? String == payload)
        #expect(report["block_count"] as? Int == 64)
        #expect(report["verified_rows"] as? Int == 64)
        #expect(report["direct_io"] as? Bool == true)
        #expect(report["raw_bytes"] as? Int == 4_194_304)
        let stored = report["stored_bytes"] as? Int ?? 0
        let disk = report["disk_bytes"] as? Int ?? 0
        let ratio = report["compression_ratio"] as? Double ?? 0
        #expect(abs(ratio - 4_194_304.0 / Double(stored)) < 1e-9)
        if compression != "none" {
            #expect(report["encoder_threads"] as? Int == 0)
            #expect(report["blocks_encoded"] as? Int == 64)
            #expect(report["blocks_stored_raw_backpressure"] as? Int == 0)
        }
        switch compression {
        case "none":
            // Raw rows: 128-byte header + 64 KiB payload = 17 pages each.
            #expect(stored == 4_194_304)
            #expect(disk == 64 * 17 * 4096)
        case "lz4":
            // Zeros compress to almost nothing: one page per row.
            #expect(ratio > 50)
            #expect(disk == 64 * 4096)
        default:
            // Shuffled bf16 normals shrink by ~15-20% (docs/BENCHMARKS.md, Codec); never grow.
            #expect(ratio > 1.1 && ratio < 1.5, "ratio \(ratio)")
            #expect(disk < 64 * 17 * 4096)
        }
        for key in [
            "write_bytes_per_second", "write_bytes_per_second_including_sync",
            "read_bytes_per_second",
        ] {
            #expect((report[key] as? Double ?? 0) > 0, "\(key)")
        }
        try expectOrderedLatencies(report)
        // The tier directory is removed afterwards.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test(
        "spillway bench disk --compare-compression --json: both sides per payload, ratios, capacity",
        .enabled(if: IOURingSupport.unavailableReason() == nil, "io_uring unavailable"))
    func cliCompareCompressionJSON() throws {
        let report = try Self.benchJSON { directory in
            [
                "bench", "disk", "--layer", "tier", "--disk-dir", directory, "--block-bytes", "65536",
                "--queue-depth", "8", "--bytes", "4194304", "--compression", "lz4",
                "--payload", "zeros,random", "--compare-compression", "--runs", "2",
                "--encoder-threads", "1", "--json",
            ]
        }
        #expect(report["codec"] as? String == "lz4" && report["runs"] as? Int == 2)
        #expect(report["encoder_threads"] as? Int == 1)
        let payloads = try #require(report["payloads"] as? [[String: Any]])
        #expect(payloads.map { $0["payload"] as? String } == ["zeros", "random"])
        for item in payloads {
            let name = item["payload"] as? String ?? "?"
            #expect((item["write_bytes_per_second_off"] as? [Double])?.count == 2, "\(name)")
            #expect((item["write_bytes_per_second_on"] as? [Double])?.count == 2, "\(name)")
            #expect((item["write_ratio"] as? Double ?? 0) > 0, "\(name)")
            #expect(item["disk_bytes_off"] as? Int == 64 * 17 * 4096, "\(name)")
            let compressed = item["blocks_compressed"] as? [Int] ?? []
            let raw = item["blocks_stored_raw_backpressure"] as? [Int] ?? []
            #expect(compressed.count == 2 && raw.count == 2 && raw.allSatisfy { $0 <= 64 })
            let gained = item["capacity_gained"] as? Double ?? -1
            if name == "random" {
                #expect(compressed == [0, 0] && gained == 0)
            } else {
                // Every zeros row the encoder took shrank to one page.
                #expect(gained >= 0)
                #expect(zip(compressed, raw).allSatisfy { $0 + $1 == 64 })
            }
        }
    }

    @Test(
        "spillway bench disk refuses tmpfs under the default --direct-io required",
        .enabled(if: IOURingSupport.unavailableReason() == nil, "io_uring unavailable"))
    func cliRefusesTmpfs() throws {
        let binary = try CLIProcess.executableURL()
        var template = Array("/dev/shm/spillway-bench-test-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["bench", "disk", "--disk-dir", directory, "--bytes", "1048576", "--json"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let message = String(
            decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("direct I/O"), "stderr: \(message)")
    }

    /// Both phases report positive, ordered percentiles (p50 <= p99 <= p99.9).
    func expectOrderedLatencies(_ report: [String: Any]) throws {
        for phase in ["write_latency", "read_latency"] {
            let latency = try #require(report[phase] as? [String: Any])
            let p50 = latency["p50_nanoseconds"] as? Int ?? 0
            let p99 = latency["p99_nanoseconds"] as? Int ?? 0
            let p999 = latency["p999_nanoseconds"] as? Int ?? 0
            #expect(p50 > 0 && p50 <= p99 && p99 <= p999, "\(phase): \(latency)")
        }
    }
}
