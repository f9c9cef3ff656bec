// Command-line options shared by every subcommand that reads the configuration.
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

/// `--config FILE`, `--set KEY=VALUE` and shortcut flags for the most-changed keys.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "JSON configuration file (default: $SPILLWAY_CONFIG, else the built-in defaults).",
            valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override one key, e.g. --set disk.queue_depth=64 (repeatable; flags beat env and file).",
            valueName: "key=value"))
    var assignments: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("Shortcut for --set tiers.primary_bytes=SIZE.", valueName: "size"))
    var primaryBytes: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Shortcut for --set tiers.disk_bytes=SIZE.", valueName: "size"))
    var diskBytes: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Shortcut for --set policy=spill|write-through.", valueName: "policy"))
    var policy: String?

    @Option(
        name: .customLong("disk-dir"),
        help: ArgumentHelp("Shortcut for --set disk.directory=DIR.", valueName: "dir"))
    var diskDirectory: String?

    /// The command-line layer, shortcuts first, then `--set` in the order given.
    func overrides() throws -> [ConfigurationOverride] {
        var result: [ConfigurationOverride] = []
        if let primaryBytes {
            result.append(
                ConfigurationOverride(
                    key: "tiers.primary_bytes", value: primaryBytes, flag: "--primary-bytes"))
        }
        if let diskBytes {
            result.append(
                ConfigurationOverride(
                    key: "tiers.disk_bytes", value: diskBytes, flag: "--disk-bytes"))
        }
        if let policy {
            result.append(ConfigurationOverride(key: "policy", value: policy, flag: "--policy"))
        }
        if let diskDirectory {
            result.append(
                ConfigurationOverride(
                    key: "disk.directory", value: diskDirectory, flag: "--disk-dir"))
        }
        for assignment in assignments {
            result.append(try ConfigurationOverride(assignment: assignment))
        }
        return result
    }

    /// The effective, validated configuration. Warnings go to stderr.
    func load() throws -> ResolvedConfiguration {
        let resolved = try ConfigurationLoader.load(filePath: config, overrides: try overrides())
        for warning in resolved.warnings { printError("warning: \(warning)") }
        return resolved
    }
}
