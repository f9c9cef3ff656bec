// `spillway replay` as a real child process: JSON output for an expected configuration, and
// malformed trace lines reported by number with a nonzero exit.
import Foundation
import SpillwayTesting
import Testing

@Suite struct ReplayCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try CLIProcess.executableURL()
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Setup: replay --json of the trace at 1000 rows / 10000 disk records, spill. Checks:
    /// exit 0, one JSON object on stdout equal (keys and values) to the expected file's
    /// second configuration, and no progress line (stderr is a pipe, not a terminal).
    @Test func jsonMatchesExpected() throws {
        let traces = try #require(SharedTraces.directory(testFile: #filePath))
        let result = try Self.run([
            "replay", "--trace", traces.appendingPathComponent("mooncake-synthetic.jsonl").path,
            "--primary-blocks", "1000", "--disk-blocks", "10000", "--policy", "spill", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let got = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let expectedAll = try JSONSerialization.jsonObject(
            with: Data(contentsOf: traces.appendingPathComponent("mooncake-synthetic.expected.json"))) as! [[String: Any]]
        let expected = expectedAll[1]
        #expect(Set(got.keys) == Set(expected.keys))
        for (key, value) in expected { #expect("\(got[key]!)" == "\(value)", "\(key)") }
        #expect(result.stdout.contains("\"hit_rate\":0.433855,"))
    }

    /// Setup: a trace whose third line is malformed. Checks: nonzero exit, stderr names line
    /// 3 and suggests --skip-bad-lines; with --skip-bad-lines the replay runs and counts it.
    @Test func malformedLineNamesItsNumber() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spillway-bad-\(UUID().uuidString).jsonl")
        try Data("{\"hash_ids\": [1, 2]}\n\n{\"hash_ids\": [3, \"x\"]}\n{\"hash_ids\": [1]}\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let bad = try Self.run(["replay", "--trace", file.path, "--primary-blocks", "4"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("trace line 3"), "\(bad.stderr)")
        #expect(bad.stderr.contains("--skip-bad-lines"))
        let skipped = try Self.run(["replay", "--trace", file.path, "--primary-blocks", "4", "--skip-bad-lines", "--json"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stdout.contains("\"requests\":2,"))
        #expect(skipped.stdout.contains("\"hit_primary\":1,"))
        #expect(skipped.stdout.contains("\"skipped_lines\":1,"))
    }
}
