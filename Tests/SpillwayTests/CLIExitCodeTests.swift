// Spawns the built `spillway` binary: bad input exits nonzero with a message on stderr.
import Foundation
import Testing

@Suite("CLI exit codes")
struct CLIExitCodeTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = try CLIProcess.executableURL()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Writes `text` to a fresh file in the temporary directory; the caller removes it
    /// (`defer { Self.remove(path) }`).
    static func temporaryFile(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "spillway-cli-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    @Test("config show: bad env value exits 1 naming key, value, source and range on stderr")
    func badEnvironmentValue() throws {
        let outcome = try Self.run(
            ["config", "show"], environment: ["SPILLWAY_DISK_QUEUE_DEPTH": "0"])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        #expect(
            outcome.stderr.contains(
                "config key 'disk.queue_depth' has bad value '0' (from env SPILLWAY_DISK_QUEUE_DEPTH): out of range; allowed: an integer in 1...4096"
            ),
            "\(outcome.stderr)")
    }

    @Test("config show: bad flag value and bad file value exit 1")
    func badFlagAndFile() throws {
        let flag = try Self.run(["config", "show", "--primary-bytes", "12 apples"])
        #expect(flag.status == 1)
        #expect(
            flag.stderr.contains(
                "config key 'tiers.primary_bytes' has bad value '12 apples' (from flag --primary-bytes)"
            ), "\(flag.stderr)")
        let file = try Self.temporaryFile(#"{"disk": {"direct_io": "sometimes"}}"#)
        defer { Self.remove(file) }
        let fromFile = try Self.run(["config", "show", "--config", file])
        #expect(fromFile.status == 1)
        #expect(
            fromFile.stderr.contains(
                "config key 'disk.direct_io' has bad value 'sometimes' (from file \(file)): unknown choice; allowed: one of required, auto, off"
            ), "\(fromFile.stderr)")
    }

    @Test("config show: missing config file exits 1 with what to do")
    func missingConfig() throws {
        let outcome = try Self.run(["config", "show", "--config", "/nonexistent/spillway.json"])
        #expect(outcome.status == 1)
        #expect(
            outcome.stderr.contains("config /nonexistent/spillway.json: no such file"),
            "\(outcome.stderr)")
    }

    @Test("config show: effective values and sources, table and JSON")
    func show() throws {
        let outcome = try Self.run(
            ["config", "show", "--json", "--set", "disk.queue_depth=7"],
            environment: ["SPILLWAY_POLICY": "write-through"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object =
            try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        let values = object?["values"] as? [String: Any]
        let sources = object?["sources"] as? [String: String]
        #expect(values?["disk.queue_depth"] as? Int == 7)
        #expect(sources?["disk.queue_depth"] == "flag --set disk.queue_depth")
        #expect(values?["policy"] as? String == "write-through")
        #expect(sources?["policy"] == "env SPILLWAY_POLICY")
        #expect(sources?["payload"] == "default")
        #expect((object?["derived"] as? [String: Any])?["row_stride_bytes"] as? Int == 262_144)
        let table = try Self.run(["config", "show"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("tiers.primary_bytes"))
        #expect(table.stdout.contains("100663296 (96 MiB)"))
    }

    @Test("trace stats: missing file and malformed trace exit 1 with the reason on stderr")
    func traceStatsErrors() throws {
        let missing = try Self.run(["trace", "stats", "/nonexistent/trace.jsonl"])
        #expect(missing.status == 1)
        #expect(
            missing.stderr.contains("trace file /nonexistent/trace.jsonl does not exist"),
            "\(missing.stderr)")
        let malformed = try Self.temporaryFile(
            "{\"hash_ids\": [1, 2]}\n{\"hash_ids\": [3, \"x\"]}\n")
        defer { Self.remove(malformed) }
        let bad = try Self.run(["trace", "stats", malformed])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("trace line 2"), "\(bad.stderr)")
        let skipped = try Self.run(["trace", "stats", malformed, "--skip-bad-lines", "--json"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let object =
            try JSONSerialization.jsonObject(with: Data(skipped.stdout.utf8)) as? [String: Any]
        #expect(object?["skipped_lines"] as? Int == 1)
        #expect(object?["requests"] as? Int == 1)
    }

    @Test("trace generate: bad option exits 1; usage errors exit 64; output is deterministic")
    func traceGenerate() throws {
        let bad = try Self.run(["trace", "generate", "--requests", "0"])
        #expect(bad.status == 1)
        #expect(
            bad.stderr.contains(
                "config key 'trace.requests' has bad value '0' (from flag --requests)"),
            "\(bad.stderr)")
        let usage = try Self.run(["trace", "generate", "--no-such-flag"])
        #expect(usage.status == 64)
        #expect(!usage.stderr.isEmpty)
        let a = try Self.run(["trace", "generate", "--requests", "50", "--seed", "9"])
        let b = try Self.run(["trace", "generate", "--requests", "50", "--seed", "9"])
        #expect(a.status == 0 && a.stdout == b.stdout)
        #expect(a.stdout.split(separator: "\n").count == 50)
        let unwritable = try Self.run([
            "trace", "generate", "--requests", "5", "--out", "/nonexistent/dir/t.jsonl",
        ])
        #expect(unwritable.status == 1)
        #expect(
            unwritable.stderr.contains("cannot write trace to /nonexistent/dir/t.jsonl"),
            "\(unwritable.stderr)")
    }

    @Test("trace generate then stats: the written file reads back")
    func roundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "spillway-cli-\(UUID().uuidString).jsonl"
        ).path
        defer { Self.remove(path) }
        let written = try Self.run([
            "trace", "generate", "--requests", "300", "--seed", "4", "--out", path,
        ])
        #expect(written.status == 0, "\(written.stderr)")
        let stats = try Self.run(["trace", "stats", path, "--json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let object =
            try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(object?["requests"] as? Int == 300)
        let ceiling = object?["ceiling_hit_rate"] as? Double ?? 0
        #expect(ceiling > 0.5 && ceiling < 1)
    }
}
