// `spillway config`: inspect the effective configuration and where each value came from.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration (defaults < file < SPILLWAY_* env < flags).",
        subcommands: [ConfigShowCommand.self]
    )
}

struct ConfigShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print every effective value and its source (default, file, env or flag).",
        discussion: """
            Validates the configuration exactly as every other command does: a bad value \
            exits 1 with a message naming the key, the value, its source and the allowed range.

            Example:
              SPILLWAY_DISK_QUEUE_DEPTH=64 spillway config show --config Config/default.json \
            --primary-bytes 128MiB
            """
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    func run() throws {
        let resolved = try options.load()
        let configuration = resolved.configuration
        let derived: [(String, String)] = [
            (
                "row_stride_bytes",
                "\(configuration.rowStride) (\(ByteSize.format(configuration.rowStride)))"
            ),
            ("primary_blocks", String(configuration.primaryBlockCount)),
            ("disk_blocks", String(configuration.diskBlockCount)),
        ]
        if json {
            var values: [String: JSONScalar] = [:]
            var sources: [String: String] = [:]
            for key in ConfigurationKeys.all {
                values[key.name] = key.json(configuration)
                sources[key.name] = resolved.source(of: key.name).description
            }
            let document = ConfigShowDocument(
                values: values, sources: sources,
                derived: [
                    "row_stride_bytes": .unsigned(configuration.rowStride),
                    "primary_blocks": .integer(Int64(configuration.primaryBlockCount)),
                    "disk_blocks": .integer(Int64(configuration.diskBlockCount)),
                ],
                warnings: resolved.warnings)
            try JSONOutput.print(document)
            return
        }
        let entries = resolved.entries
        let keyWidth = max(entries.map(\.key.count).max() ?? 0, derived.map(\.0.count).max() ?? 0)
        let valueWidth = entries.map(\.value.count).max() ?? 0
        func pad(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        print("\(pad("KEY", keyWidth))  \(pad("VALUE", valueWidth))  SOURCE")
        for entry in entries {
            print("\(pad(entry.key, keyWidth))  \(pad(entry.value, valueWidth))  \(entry.source)")
        }
        print("")
        print("derived:")
        for (name, value) in derived { print("\(pad(name, keyWidth))  \(value)") }
    }
}

/// The `config show --json` object: values, their sources, derived geometry, warnings.
struct ConfigShowDocument: Encodable {
    var values: [String: JSONScalar]
    var sources: [String: String]
    var derived: [String: JSONScalar]
    var warnings: [String]
}
