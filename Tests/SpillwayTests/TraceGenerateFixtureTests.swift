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
        let result = try ChildProcess.run(
            try CLIProcess.executableURL(),
            [
                "trace", "generate", "--requests", "2000", "--seed", "7", "--sessions", "150",
                "--system-prompts", "4", "--system-prompt-blocks", "12", "--turn-blocks", "6",
                "--output-blocks", "2", "--max-context-blocks", "64", "--zipf-exponent", "1.0",
                "--block-tokens", "512", "--mean-interarrival-ms", "20", "--out", output,
            ],
            environment: ProcessInfo.processInfo.environment.filter {
                !$0.key.hasPrefix("SPILLWAY_")
            })
        try #require(result.status == 0, "trace generate failed: \(result.stderr)")
        let generated = try Data(contentsOf: URL(fileURLWithPath: output))
        let committed = try Data(
            contentsOf: directory.appendingPathComponent("generated-seed7.jsonl"))
        #expect(generated.count == committed.count)
        #expect(generated == committed, "regenerate with scripts/make-fixtures.sh if intended")
    }
}
