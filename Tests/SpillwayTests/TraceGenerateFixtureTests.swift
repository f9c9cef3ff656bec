// The generated trace fixture is reproducible: `spillway trace generate` with the settings in
// Tests/Fixtures/README.md (and scripts/make-fixtures.sh) writes it byte for byte.
import Foundation
import SpillwayTesting
import Testing

@Suite struct TraceGenerateFixtureTests {
    /// Setup: the built `spillway trace generate` with every trace.* setting of
    /// generated-seed7 on the command line, SPILLWAY_* variables removed from its environment,
    /// writing to a scratch file. Checks: exit 0, and the file equals the committed fixture.
    @Test func generatedSeed7IsReproducible() throws {
        let directory = try #require(
            SharedTraces.directory(testFile: #filePath),
            "Tests/Fixtures/traces not found above \(#filePath)")
        let scratch = ScratchDirectory(under: "/tmp")
        let output = scratch.sub("generated-seed7.jsonl")
        let process = Process()
        process.executableURL = try CLIProcess.executableURL()
        process.arguments = [
            "trace", "generate", "--requests", "2000", "--seed", "7", "--sessions", "150",
            "--system-prompts", "4", "--system-prompt-blocks", "12", "--turn-blocks", "6",
            "--output-blocks", "2", "--max-context-blocks", "64", "--zipf-exponent", "1.0",
            "--block-tokens", "512", "--mean-interarrival-ms", "20", "--out", output,
        ]
        process.environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("SPILLWAY_")
        }
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "trace generate failed: \(err)")
        let generated = try Data(contentsOf: URL(fileURLWithPath: output))
        let committed = try Data(
            contentsOf: directory.appendingPathComponent("generated-seed7.jsonl"))
        #expect(generated.count == committed.count)
        #expect(generated == committed, "regenerate with scripts/make-fixtures.sh if intended")
    }
}
