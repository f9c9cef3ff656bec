// Configuration layering (default < file < env < flag), sources, and file-level errors.
import Foundation
import Testing

@testable import Spillway
import SpillwaySystem
import SpillwayCore

@Suite("Configuration loader")
struct ConfigurationLoaderTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Writes `text` to a fresh temporary file (in a directory of its own) and returns its
    /// path; the caller removes it with `removeTemporaryFile`.
    static func temporaryFile(_ text: String, name: String = "config.json") throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("spillway-config-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Removes a file made by `temporaryFile` and its directory.
    static func removeTemporaryFile(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    static func errorText(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test("no file, no env, no flags: built-in defaults, every source 'default'")
    func defaults() throws {
        let resolved = try ConfigurationLoader.load(environment: [:])
        #expect(resolved.configuration == SpillwayConfiguration())
        #expect(resolved.entries.allSatisfy { $0.source == .builtIn })
        #expect(resolved.entries.count == ConfigurationKeys.all.count)
    }

    @Test("file < env < flag, each value's source recorded")
    func layering() throws {
        let path = try Self.temporaryFile(
            """
            {"disk": {"queue_depth": 8, "compression": "none"}, "tiers": {"primary_bytes": "1GiB"},
             "policy": "write-through"}
            """)
        defer { Self.removeTemporaryFile(path) }
        let environment = ["SPILLWAY_DISK_QUEUE_DEPTH": "16", "SPILLWAY_TIERS_DISK_BYTES": "2GiB"]
        let overrides = [
            ConfigurationOverride(key: "disk.queue_depth", value: "64", flag: "--set"),
            ConfigurationOverride(
                key: "tiers.primary_bytes", value: "512MiB", flag: "--primary-bytes"),
        ]
        let resolved = try ConfigurationLoader.load(
            filePath: path, environment: environment, overrides: overrides)
        let configuration = resolved.configuration
        #expect(configuration.disk.queueDepth == 64)
        #expect(resolved.source(of: "disk.queue_depth") == .flag("--set disk.queue_depth"))
        #expect(configuration.tiers.primaryBytes == 512 << 20)
        #expect(resolved.source(of: "tiers.primary_bytes") == .flag("--primary-bytes"))
        #expect(configuration.tiers.diskBytes == 2 << 30)
        #expect(
            resolved.source(of: "tiers.disk_bytes") == .environment("SPILLWAY_TIERS_DISK_BYTES"))
        #expect(configuration.disk.compression == .none)
        #expect(resolved.source(of: "disk.compression") == .file(path))
        #expect(configuration.policy == .writeThrough)
        #expect(resolved.source(of: "policy") == .file(path))
        #expect(configuration.disk.directIO == .auto)
        #expect(resolved.source(of: "disk.direct_io") == .builtIn)

        // Without the flag the environment wins over the file; without both, the file.
        let envOnly = try ConfigurationLoader.load(filePath: path, environment: environment)
        #expect(envOnly.configuration.disk.queueDepth == 16)
        #expect(envOnly.source(of: "disk.queue_depth") == .environment("SPILLWAY_DISK_QUEUE_DEPTH"))
        let fileOnly = try ConfigurationLoader.load(filePath: path, environment: [:])
        #expect(fileOnly.configuration.disk.queueDepth == 8)
        #expect(fileOnly.source(of: "disk.queue_depth") == .file(path))
    }

    @Test("SPILLWAY_CONFIG names the file when --config is absent; --config wins")
    func configFromEnvironment() throws {
        let a = try Self.temporaryFile(#"{"disk": {"queue_depth": 3}}"#)
        defer { Self.removeTemporaryFile(a) }
        let b = try Self.temporaryFile(#"{"disk": {"queue_depth": 5}}"#)
        defer { Self.removeTemporaryFile(b) }
        #expect(
            try ConfigurationLoader.load(environment: ["SPILLWAY_CONFIG": a]).configuration.disk
                .queueDepth == 3)
        #expect(
            try ConfigurationLoader.load(filePath: b, environment: ["SPILLWAY_CONFIG": a])
                .configuration.disk.queueDepth == 5)
    }

    @Test("every layer's bad value is reported with key, value, source and range")
    func badValuesPerLayer() throws {
        let path = try Self.temporaryFile(#"{"disk": {"queue_depth": 0}}"#)
        defer { Self.removeTemporaryFile(path) }
        #expect(
            Self.errorText { _ = try ConfigurationLoader.load(filePath: path, environment: [:]) }
                == "config key 'disk.queue_depth' has bad value '0' (from file \(path)): out of range; allowed: an integer in 1...4096"
        )
        // A bad file value is reported (naming the file) even when a higher layer overrides it.
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(
                    filePath: path, environment: ["SPILLWAY_DISK_QUEUE_DEPTH": "4"])
            }
                == "config key 'disk.queue_depth' has bad value '0' (from file \(path)): out of range; allowed: an integer in 1...4096"
        )
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(environment: [
                    "SPILLWAY_TIERS_PRIMARY_BYTES": "lots"
                ])
            }
                == "config key 'tiers.primary_bytes' has bad value 'lots' (from env SPILLWAY_TIERS_PRIMARY_BYTES): 'lots' is not a number; allowed: a size in 1 B...1 PiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
        )
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(
                    environment: [:],
                    overrides: [
                        ConfigurationOverride(key: "policy", value: "lazy", flag: "--policy")
                    ])
            }
                == "config key 'policy' has bad value 'lazy' (from flag --policy): unknown choice; allowed: one of spill, write-through"
        )
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(
                    environment: [:],
                    overrides: [
                        ConfigurationOverride(key: "disk.queue_dept", value: "4", flag: "--set")
                    ])
            }
                == "config key 'disk.queue_dept' has bad value '4' (from flag --set): unknown key 'disk.queue_dept' (did you mean 'disk.queue_depth'?); allowed: a known key (spillway config show lists them)"
        )
        // Cross-key rule, named by the source of the offending key.
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(environment: [
                    "SPILLWAY_TIERS_DISK_BYTES": "0", "SPILLWAY_POLICY": "write-through",
                ])
            }
                == "config key 'policy' has bad value 'write-through' (from env SPILLWAY_POLICY): write-through needs a disk tier (set tiers.disk_bytes); allowed: spill when tiers.disk_bytes is 0"
        )
    }

    @Test("typed JSON: numbers, size strings, booleans as true/false or 1/0; wrong types refused")
    func jsonTypes() throws {
        let path = try Self.temporaryFile(
            """
            {"tiers": {"primary_bytes": 262144, "disk_bytes": "1.5MiB"}, "disk": {"shuffle": false,
             "compression_threshold": 1}, "trace": {"seed": 18446744073709551615}}
            """)
        defer { Self.removeTemporaryFile(path) }
        // UInt64.max does not fit JSON's Int: refused with the key named.
        let message = Self.errorText {
            _ = try ConfigurationLoader.load(filePath: path, environment: [:])
        }
        #expect(message?.contains("trace.seed") == true, "\(message ?? "nil")")

        let good = try Self.temporaryFile(
            """
            {"tiers": {"primary_bytes": 262144, "disk_bytes": "1.5MiB"}, "disk": {"shuffle": 0,
             "compression_threshold": 1}, "trace": {"seed": "18446744073709551615"}}
            """)
        defer { Self.removeTemporaryFile(good) }
        let configuration = try ConfigurationLoader.load(filePath: good, environment: [:])
            .configuration
        #expect(configuration.tiers.primaryBytes == 262_144)
        #expect(configuration.tiers.diskBytes == 1_572_864)
        #expect(configuration.disk.shuffle == false)
        #expect(configuration.disk.compressionThreshold == 1)
        #expect(configuration.trace.generator.seed == .max)

        let wrongType = try Self.temporaryFile(#"{"region": {"layout": 3}}"#)
        defer { Self.removeTemporaryFile(wrongType) }
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(filePath: wrongType, environment: [:])
            }
                == "config key 'region.layout' has bad value '3' (from file \(wrongType)): not a string; allowed: one of seed, page-aligned"
        )
    }

    @Test("file problems: missing, directory, invalid JSON, not an object, arrays, unknown keys")
    func fileErrors() throws {
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(
                    filePath: "/nonexistent/spillway.json", environment: [:])
            }
                == "config /nonexistent/spillway.json: no such file; pass an existing JSON file to --config (or SPILLWAY_CONFIG), or omit it to use the built-in defaults"
        )
        #expect(
            Self.errorText { _ = try ConfigurationLoader.load(filePath: "/tmp", environment: [:]) }
                == "config /tmp: is a directory, not a JSON file")
        let invalid = try Self.temporaryFile("{\"disk\": ")
        defer { Self.removeTemporaryFile(invalid) }
        #expect(
            Self.errorText {
                _ = try ConfigurationLoader.load(filePath: invalid, environment: [:])
            }?
            .hasPrefix("config \(invalid): is not valid JSON") == true)
        let array = try Self.temporaryFile("[1, 2]")
        defer { Self.removeTemporaryFile(array) }
        #expect(
            Self.errorText { _ = try ConfigurationLoader.load(filePath: array, environment: [:]) }
                == "config \(array): the top level must be a JSON object")
        let nested = try Self.temporaryFile(#"{"disk": {"queue_depth": [1]}}"#)
        defer { Self.removeTemporaryFile(nested) }
        #expect(
            Self.errorText { _ = try ConfigurationLoader.load(filePath: nested, environment: [:]) }
                == "config \(nested): key 'disk.queue_depth' must be a string, number or boolean")
        let unknown = try Self.temporaryFile(#"{"tiers": {"primary_byte": "1GiB"}}"#)
        defer { Self.removeTemporaryFile(unknown) }
        #expect(
            Self.errorText { _ = try ConfigurationLoader.load(filePath: unknown, environment: [:]) }
                == "config \(unknown): unknown key 'tiers.primary_byte' (did you mean 'tiers.primary_bytes'?)"
        )
        let far = try Self.temporaryFile(#"{"colour": "blue"}"#)
        defer { Self.removeTemporaryFile(far) }
        #expect(
            Self.errorText { _ = try ConfigurationLoader.load(filePath: far, environment: [:]) }
                == "config \(far): unknown key 'colour' (spillway config show lists the keys)")
        let comment = try Self.temporaryFile(
            #"{"_comment": "ok", "disk": {"_note": ["x"], "queue_depth": 2}}"#)
        defer { Self.removeTemporaryFile(comment) }
        #expect(
            try ConfigurationLoader.load(filePath: comment, environment: [:]).configuration.disk
                .queueDepth == 2)
    }

    @Test("unknown SPILLWAY_ environment variables are warnings, known non-keys are quiet")
    func environmentWarnings() throws {
        let resolved = try ConfigurationLoader.load(
            environment: ["SPILLWAY_DISK_QUEUE_DEPT": "4", "SPILLWAY_SOAK": "1", "HOME": "/root"])
        #expect(
            resolved.warnings == [
                "environment variable SPILLWAY_DISK_QUEUE_DEPT is not a Spillway setting and is ignored"
            ])
    }

    @Test("Config/default.json sets every key, to exactly the built-in defaults")
    func defaultFile() throws {
        let path = Self.repositoryRoot.appendingPathComponent("Config/default.json").path
        let resolved = try ConfigurationLoader.load(filePath: path, environment: [:])
        #expect(resolved.configuration == SpillwayConfiguration())
        for entry in resolved.entries {
            #expect(entry.source == .file(path), "\(entry.key) not in default.json")
        }
        #expect(resolved.configuration.rowStride == 256 << 10)
        #expect(resolved.configuration.primaryBlockCount == 384)
        #expect(resolved.configuration.diskBlockCount == 2048)
    }

    @Test("Config/llama-3-8b.json: 2 MiB rows (16 tokens x 32 layers x 8 heads x 128 x 2 x bf16)")
    func llamaFile() throws {
        let path = Self.repositoryRoot.appendingPathComponent("Config/llama-3-8b.json").path
        let configuration = try ConfigurationLoader.load(filePath: path, environment: [:])
            .configuration
        let perTokenBytes: UInt64 = 2 * 32 * 8 * 128 * 2  // K and V, layers, KV heads, head dim, bf16
        #expect(configuration.rowStride == perTokenBytes * 16)
        #expect(configuration.rowStride == 2 << 20)
        #expect(configuration.primaryBlockCount == 32_768)
        #expect(configuration.diskBlockCount == 524_288)
        #expect(configuration.trace.generator.blockTokens == 16)
    }

    @Test("Config/README.md documents every key")
    func readmeDocumentsEveryKey() throws {
        let readme = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("Config/README.md"),
            encoding: .utf8)
        for key in ConfigurationKeys.all {
            #expect(
                readme.contains("| `\(key.name)` |"), "Config/README.md has no row for \(key.name)")
        }
    }
}
