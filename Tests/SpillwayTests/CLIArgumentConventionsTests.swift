// The command line says each thing one way (docs/CLI.md, Conventions): every size flag takes
// units and raw bytes, one flag name per directory, typed values refuse anything else, and
// every subcommand's --help follows it.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite(
    "CLI argument conventions",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct CLIArgumentConventionsTests {
    static func object(_ outcome: CLIExitCodeTests.Outcome) throws -> [String: Any] {
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let line = try #require(outcome.stdout.split(separator: "\n").last.map(String.init))
        return try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// Every leaf subcommand, found by walking `--help`'s SUBCOMMANDS sections (each entry a
    /// line `  name   abstract`; the section ends at the first blank line).
    static func leafCommands(_ prefix: [String] = []) throws -> [[String]] {
        let help = try CLIExitCodeTests.run(prefix + ["--help"]).stdout
        guard prefix.count < 3, let section = help.range(of: "SUBCOMMANDS:\n") else {
            return [prefix]
        }
        var result: [[String]] = []
        for line in help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   "),
                let name = line.split(separator: " ").first.map(String.init),
                name.allSatisfy({ $0.isLowercase || $0 == "-" }), name != "help"
            else { continue }
            result += try leafCommands(prefix + [name])
        }
        return result
    }

    /// Setup: `--help` of every leaf subcommand. Check: none offers a retired spelling
    /// (`--dir`, `--disk-directory`, `--row-bytes`), and every `--*-bytes` option mentions a
    /// size value.
    @Test func everyHelpUsesTheOneNamePerConcept() throws {
        let commands = try Self.leafCommands()
        #expect(commands.count >= 15, "found only \(commands)")
        for command in commands {
            let help = try CLIExitCodeTests.run(command + ["--help"]).stdout
            for retired in ["--dir ", "--dir\n", "--disk-directory", "--row-bytes"] {
                #expect(!help.contains(retired), "\(command) --help offers \(retired)")
            }
        }
    }

    /// Setup: `bench disk` with every size in units. Check: the report shows the bytes they
    /// stand for (64 KiB blocks, 1 MiB total = 16 blocks).
    @Test func benchDiskTakesUnits() throws {
        let scratch = ScratchDirectory()
        let outcome = try CLIExitCodeTests.run([
            "bench", "disk", "--disk-dir", scratch.path, "--bytes", "1MiB", "--block-bytes", "64 KiB",
            "--buffer-bytes-max", "1MiB", "--queue-depth", "2", "--direct-io", "auto", "--json",
        ])
        let report = try Self.object(outcome)
        #expect(report["block_bytes"] as? Int == 65536)
        #expect(report["total_bytes"] as? Int == 1 << 20)
        #expect(report["block_count"] as? Int == 16)
    }

    /// Setup: `disk fill` with sizes in units, decimal units and raw bytes. Check: the tier
    /// was created with that capacity and holds the blocks.
    @Test func diskFillTakesUnits() throws {
        let scratch = ScratchDirectory()
        let fill = try Self.object(
            try CLIExitCodeTests.run([
                "disk", "fill", "--disk-dir", scratch.sub("tier"), "--blocks", "3", "--block-bytes",
                "4KiB", "--capacity-bytes", "2MB", "--staging-bytes-max", "1048576", "--json",
            ]))
        #expect(fill["capacity_bytes"] as? Int == 2_000_000 / 4096 * 4096)
        #expect(fill["stored"] as? Int == 3)
        let verify = try Self.object(
            try CLIExitCodeTests.run([
                "disk", "verify", "--disk-dir", scratch.sub("tier"), "--pattern", "bf16", "--json",
            ]))
        #expect(verify["verified"] as? Int == 3)
        #expect(verify["pattern"] as? String == "bf16")
    }

    /// Setup: `region create` with P in units. Check: the row stride is P rounded to the page.
    @Test func regionCreateTakesUnits() throws {
        let outcome = try CLIExitCodeTests.run([
            "region", "create", "--instance-id", "units-\(getpid())", "--num-blocks", "2",
            "--num-workers", "1", "--cpu-page-size", "8KiB", "--region-dir", "/dev/shm",
            "--hold-seconds", "0", "--json",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let ready = try #require(
            outcome.stdout.split(separator: "\n").first.flatMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            })
        #expect(ready["event"] as? String == "ready")
        #expect(ready["rowStride"] as? Int == 8192)
        #expect(ready["rank"] is NSNull)
    }

    struct Refusal: CustomStringConvertible, Sendable {
        var arguments: [String]
        var message: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let refusals: [Refusal] = [
        Refusal(
            arguments: ["bench", "disk", "--disk-dir", "/tmp", "--bytes", "1.5B"],
            message: "not a whole number of bytes"),
        Refusal(
            arguments: ["bench", "disk", "--disk-dir", "/tmp", "--block-bytes", "4 parsecs"],
            message: "unknown unit 'parsecs'"),
        Refusal(
            arguments: ["disk", "fill", "--disk-dir", "/tmp/x", "--blocks", "1", "--block-bytes",
                "99999999999999999999"],
            message: "larger than"),
        Refusal(
            arguments: ["bench", "disk", "--disk-dir", "/tmp", "--layer", "tier", "--compression",
                "zstd"],
            message: "lz4-shuffle"),
        Refusal(
            arguments: ["bench", "disk", "--disk-dir", "/tmp", "--layer", "tier", "--compression",
                "lz4", "--compare-compression", "--payload", "bf16,plaid"],
            message: "'plaid' is not a payload kind"),
        Refusal(
            arguments: ["bench", "disk", "--disk-dir", "/tmp", "--layer", "tier", "--payload",
                "bf16,zeros"],
            message: "a list only with --compare-compression"),
        Refusal(
            arguments: ["disk", "verify", "--disk-dir", "/tmp", "--pattern", "mixed:2"],
            message: "mixed:F"),
        Refusal(
            arguments: ["replay", "--trace", "/nonexistent", "--data", "--direct-io", "maybe"],
            message: "required"),
        Refusal(arguments: ["disk", "inspect", "--dir", "/tmp"], message: "'--disk-dir <disk-dir>'"),
        Refusal(
            arguments: ["disk", "inspect", "--disk-dir", "/tmp", "--dir", "/tmp"],
            message: "Unknown option '--dir'"),
        Refusal(
            arguments: ["region", "create", "--instance-id", "x", "--num-blocks", "1",
                "--num-workers", "1", "--cpu-page-size", "4096", "--layout", "diagonal"],
            message: "page-aligned"),
    ]

    /// Setup: malformed sizes, unknown enum values, a retired flag. Check: usage error (64)
    /// whose message says what is wrong or what to give, and no trap.
    @Test(arguments: refusals)
    func refusesWithTheReason(_ refusal: Refusal) throws {
        let outcome = try CLIExitCodeTests.run(refusal.arguments)
        #expect(outcome.status == 64, "status \(outcome.status): \(outcome.stderr)")
        #expect(outcome.stderr.contains(refusal.message), "\(outcome.stderr)")
    }
}
