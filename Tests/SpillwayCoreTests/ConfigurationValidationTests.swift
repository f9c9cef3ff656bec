// Every configuration key: good values accepted, bad values refused with exact messages.
import Testing

@testable import SpillwayCore

@Suite("Configuration validation")
struct ConfigurationValidationTests {
    /// Applies `input` to `key` on the defaults and returns the error's message, or nil.
    func message(_ key: String, _ input: ConfigurationInput, source: ConfigValueSource? = nil)
        -> String?
    {
        guard let configurationKey = ConfigurationKeys.named(key) else {
            Issue.record("no key \(key)")
            return nil
        }
        var configuration = SpillwayConfiguration()
        do {
            try configurationKey.apply(input, to: &configuration, source: source)
            return nil
        } catch {
            return error.description
        }
    }

    /// One accepted value per key that differs from the built-in default.
    static let nonDefaultText: [String: String] = [
        "region.instance_id": "other-instance", "region.num_workers": "3",
        "region.cpu_page_size": "64KiB", "region.layout": "seed", "region.directory": "/tmp",
        "region.num_segments": "32", "region.join_timeout_ms": "1234", "tiers.primary_bytes": "32MiB",
        "tiers.disk_bytes": "0", "policy": "write-through", "disk.directory": "/tmp/other",
        "disk.extra_directories": "/mnt/a,/mnt/b",
        "disk.queue_depth": "7", "disk.direct_io": "off", "disk.compression": "none",
        "disk.shuffle": "off", "disk.compression_threshold": "0.5",
        "disk.sync_interval_blocks": "0", "disk.staging_bytes_max": "8MiB", "payload": "zeros",
        "trace.file": "/tmp/trace.jsonl", "trace.requests": "17", "trace.seed": "99",
        "trace.sessions": "9", "trace.system_prompts": "2", "trace.system_prompt_blocks": "5",
        "trace.turn_blocks": "3", "trace.output_blocks": "0", "trace.max_context_blocks": "20",
        "trace.zipf_exponent": "0.5", "trace.block_tokens": "16",
        "trace.mean_interarrival_ms": "5",
    ]

    /// Setup: for every key, the defaults with that key set to another accepted value.
    /// Check: the value changed the configuration (so `apply` reads its input), and applying
    /// the key's printed default value brings back exactly the defaults.
    @Test("built-in defaults are valid and every key's printed value parses back to itself")
    func defaultsRoundTrip() throws {
        let defaults = SpillwayConfiguration()
        try defaults.validate()
        #expect(Set(Self.nonDefaultText.keys) == Set(ConfigurationKeys.all.map(\.name)))
        for key in ConfigurationKeys.all {
            let other = try #require(Self.nonDefaultText[key.name], "\(key.name)")
            var copy = SpillwayConfiguration()
            try key.apply(.text(other), to: &copy)
            #expect(copy != defaults, "\(key.name) = \(other) left the defaults unchanged")
            #expect(key.render(copy) != key.render(defaults), "\(key.name) = \(other)")
            let text = key.render(defaults).split(separator: " ").first.map(String.init) ?? ""
            try key.apply(.text(text), to: &copy)
            #expect(copy == defaults, "\(key.name) = \(text)")
        }
    }

    @Test("key names are unique, environment names follow SPILLWAY_<KEY>")
    func names() {
        let names = ConfigurationKeys.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(
            ConfigurationKeys.named("disk.queue_depth")?.environmentName
                == "SPILLWAY_DISK_QUEUE_DEPTH")
        #expect(ConfigurationKeys.named("policy")?.environmentName == "SPILLWAY_POLICY")
        #expect(
            ConfigurationKeys.named("region.cpu_page_size")?.environmentName
                == "SPILLWAY_REGION_CPU_PAGE_SIZE")
    }

    @Test("every key refuses a bad value with a message naming key, value, source and range")
    func badValuesPerKey() {
        let env = ConfigValueSource.environment("SPILLWAY_X")
        let cases: [(String, ConfigurationInput, String)] = [
            (
                "region.instance_id", .text(""),
                "config key 'region.instance_id' has bad value '' (from env SPILLWAY_X): empty; allowed: 1...64 characters from A-Z a-z 0-9 . _ -, not containing '..'"
            ),
            (
                "region.instance_id", .text("a/b"),
                "config key 'region.instance_id' has bad value 'a/b' (from env SPILLWAY_X): contains a character other than A-Z a-z 0-9 . _ -; allowed: 1...64 characters from A-Z a-z 0-9 . _ -, not containing '..'"
            ),
            (
                "region.instance_id", .text("a..b"),
                "config key 'region.instance_id' has bad value 'a..b' (from env SPILLWAY_X): contains '..'; allowed: 1...64 characters from A-Z a-z 0-9 . _ -, not containing '..'"
            ),
            (
                "region.instance_id", .text(String(repeating: "x", count: 65)),
                "config key 'region.instance_id' has bad value '\(String(repeating: "x", count: 65))' (from env SPILLWAY_X): longer than 64 characters; allowed: 1...64 characters from A-Z a-z 0-9 . _ -, not containing '..'"
            ),
            (
                "region.num_workers", .text("0"),
                "config key 'region.num_workers' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...1024"
            ),
            (
                "region.num_workers", .text("two"),
                "config key 'region.num_workers' has bad value 'two' (from env SPILLWAY_X): not an integer; allowed: an integer in 1...1024"
            ),
            (
                "region.num_segments", .text("1025"),
                "config key 'region.num_segments' has bad value '1025' (from env SPILLWAY_X): out of range; allowed: an integer in 1...1024"
            ),
            (
                "region.cpu_page_size", .text("0"),
                "config key 'region.cpu_page_size' has bad value '0' (from env SPILLWAY_X): 0 B is out of range; allowed: a size in 1 B...1 GiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
            ),
            (
                "region.cpu_page_size", .text("2GiB"),
                "config key 'region.cpu_page_size' has bad value '2GiB' (from env SPILLWAY_X): 2 GiB is out of range; allowed: a size in 1 B...1 GiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
            ),
            (
                "region.cpu_page_size", .text("12 parsecs"),
                "config key 'region.cpu_page_size' has bad value '12 parsecs' (from env SPILLWAY_X): unknown unit 'parsecs' (use B, KiB, MiB, GiB, TiB, PiB, KB, MB, GB or TB); allowed: a size in 1 B...1 GiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
            ),
            (
                "region.layout", .text("aligned"),
                "config key 'region.layout' has bad value 'aligned' (from env SPILLWAY_X): unknown choice; allowed: one of seed, page-aligned"
            ),
            (
                "region.directory", .text("dev/shm"),
                "config key 'region.directory' has bad value 'dev/shm' (from env SPILLWAY_X): not an absolute path; allowed: an absolute path of at most 4096 bytes"
            ),
            (
                "region.join_timeout_ms", .text("0"),
                "config key 'region.join_timeout_ms' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...600000"
            ),
            (
                "tiers.primary_bytes", .text("0"),
                "config key 'tiers.primary_bytes' has bad value '0' (from env SPILLWAY_X): 0 B is out of range; allowed: a size in 1 B...1 PiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
            ),
            (
                "tiers.primary_bytes", .text("2PiB"),
                "config key 'tiers.primary_bytes' has bad value '2PiB' (from env SPILLWAY_X): 2 PiB is out of range; allowed: a size in 1 B...1 PiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
            ),
            (
                "tiers.disk_bytes", .text("-5"),
                "config key 'tiers.disk_bytes' has bad value '-5' (from env SPILLWAY_X): '-5' is not a number; allowed: a size in 0 B...64 PiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
            ),
            (
                "policy", .text("writeback"),
                "config key 'policy' has bad value 'writeback' (from env SPILLWAY_X): unknown choice; allowed: one of spill, write-through"
            ),
            (
                "disk.extra_directories", .text("/mnt/a,,/mnt/b"),
                "config key 'disk.extra_directories' has bad value '/mnt/a,,/mnt/b' (from env SPILLWAY_X): a path is empty; allowed: empty, or up to 63 comma-separated non-empty paths of at most 4096 bytes each"
            ),
            (
                "disk.directory", .text(""),
                "config key 'disk.directory' has bad value '' (from env SPILLWAY_X): empty; allowed: a non-empty path of at most 4096 bytes"
            ),
            (
                "disk.queue_depth", .text("0"),
                "config key 'disk.queue_depth' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...4096"
            ),
            (
                "disk.queue_depth", .text("4097"),
                "config key 'disk.queue_depth' has bad value '4097' (from env SPILLWAY_X): out of range; allowed: an integer in 1...4096"
            ),
            (
                "disk.direct_io", .text("yes"),
                "config key 'disk.direct_io' has bad value 'yes' (from env SPILLWAY_X): unknown choice; allowed: one of required, auto, off"
            ),
            (
                "disk.compression", .text("zstd"),
                "config key 'disk.compression' has bad value 'zstd' (from env SPILLWAY_X): unknown choice; allowed: one of none, lz4"
            ),
            (
                "disk.shuffle", .text("maybe"),
                "config key 'disk.shuffle' has bad value 'maybe' (from env SPILLWAY_X): not a boolean; allowed: true or false"
            ),
            (
                "disk.compression_threshold", .text("0"),
                "config key 'disk.compression_threshold' has bad value '0' (from env SPILLWAY_X): out of range; allowed: a number in (0.0, 1.0]"
            ),
            (
                "disk.compression_threshold", .text("1.5"),
                "config key 'disk.compression_threshold' has bad value '1.5' (from env SPILLWAY_X): out of range; allowed: a number in (0.0, 1.0]"
            ),
            (
                "disk.compression_threshold", .text("nan"),
                "config key 'disk.compression_threshold' has bad value 'nan' (from env SPILLWAY_X): out of range; allowed: a number in (0.0, 1.0]"
            ),
            (
                "disk.sync_interval_blocks", .text("-1"),
                "config key 'disk.sync_interval_blocks' has bad value '-1' (from env SPILLWAY_X): out of range; allowed: an integer in 0...1000000"
            ),
            (
                "disk.staging_bytes_max", .text("1KiB"),
                "config key 'disk.staging_bytes_max' has bad value '1KiB' (from env SPILLWAY_X): 1 KiB is out of range; allowed: a size in 4 KiB...1 TiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
            ),
            (
                "payload", .text("ones"),
                "config key 'payload' has bad value 'ones' (from env SPILLWAY_X): unknown choice; allowed: one of random, bf16, zeros, mixed"
            ),
            (
                "trace.file", .text("a\u{0}b"),
                "config key 'trace.file' has bad value 'a\u{0}b' (from env SPILLWAY_X): contains a NUL byte; allowed: empty (generate a trace) or a path of at most 4096 bytes"
            ),
            (
                "trace.requests", .text("0"),
                "config key 'trace.requests' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...10000000"
            ),
            (
                "trace.seed", .text("-3"),
                "config key 'trace.seed' has bad value '-3' (from env SPILLWAY_X): not a non-negative integer; allowed: an integer in 0...18446744073709551615"
            ),
            (
                "trace.sessions", .text("0"),
                "config key 'trace.sessions' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...1000000"
            ),
            (
                "trace.system_prompts", .text("10001"),
                "config key 'trace.system_prompts' has bad value '10001' (from env SPILLWAY_X): out of range; allowed: an integer in 1...10000"
            ),
            (
                "trace.system_prompt_blocks", .text("0"),
                "config key 'trace.system_prompt_blocks' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...4096"
            ),
            (
                "trace.turn_blocks", .text("0"),
                "config key 'trace.turn_blocks' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...4096"
            ),
            (
                "trace.output_blocks", .text("-1"),
                "config key 'trace.output_blocks' has bad value '-1' (from env SPILLWAY_X): out of range; allowed: an integer in 0...4096"
            ),
            (
                "trace.max_context_blocks", .text("1"),
                "config key 'trace.max_context_blocks' has bad value '1' (from env SPILLWAY_X): out of range; allowed: an integer in 2...65536"
            ),
            (
                "trace.zipf_exponent", .text("-0.5"),
                "config key 'trace.zipf_exponent' has bad value '-0.5' (from env SPILLWAY_X): out of range; allowed: a number in [0.0, 4.0]"
            ),
            (
                "trace.block_tokens", .text("0"),
                "config key 'trace.block_tokens' has bad value '0' (from env SPILLWAY_X): out of range; allowed: an integer in 1...65536"
            ),
            (
                "trace.mean_interarrival_ms", .text("fast"),
                "config key 'trace.mean_interarrival_ms' has bad value 'fast' (from env SPILLWAY_X): not a number; allowed: a number in [0.0, 3600000.0]"
            ),
        ]
        for (key, input, expected) in cases {
            #expect(message(key, input, source: env) == expected, "\(key) = \(input)")
        }
        // Every key has at least one bad-value case above.
        let covered = Set(cases.map(\.0))
        for key in ConfigurationKeys.all {
            #expect(covered.contains(key.name), "no bad-value case for \(key.name)")
        }
    }

    @Test("typed JSON inputs: numbers for sizes, wrong types refused")
    func typedInputs() {
        #expect(message("tiers.primary_bytes", .integer(262_144)) == nil)
        #expect(
            message("tiers.primary_bytes", .number(1.5))
                == "config key 'tiers.primary_bytes' has bad value '1.5': not a whole number of bytes; allowed: a size in 1 B...1 PiB (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
        )
        #expect(
            message("disk.queue_depth", .number(2.5))
                == "config key 'disk.queue_depth' has bad value '2.5': not an integer; allowed: an integer in 1...4096"
        )
        #expect(message("disk.queue_depth", .number(64)) == nil)
        #expect(
            message("disk.shuffle", .integer(3))
                == "config key 'disk.shuffle' has bad value '3': not a boolean; allowed: true or false"
        )
        #expect(
            message("policy", .integer(1))
                == "config key 'policy' has bad value '1': not a string; allowed: one of spill, write-through"
        )
        #expect(message("disk.compression_threshold", .integer(1)) == nil)
        #expect(message("trace.seed", .text("18446744073709551615")) == nil)
    }

    @Test("accepted values land in the configuration")
    func accepted() throws {
        var configuration = SpillwayConfiguration()
        try ConfigurationKeys.named("region.cpu_page_size")!.apply(
            .text("1.5MiB"), to: &configuration)
        try ConfigurationKeys.named("region.layout")!.apply(.text("seed"), to: &configuration)
        try ConfigurationKeys.named("disk.shuffle")!.apply(.text("off"), to: &configuration)
        try ConfigurationKeys.named("policy")!.apply(.text("write-through"), to: &configuration)
        try ConfigurationKeys.named("trace.seed")!.apply(.text("42"), to: &configuration)
        #expect(configuration.region.cpuPageSize == 1_572_864)
        #expect(configuration.region.layout == .seed)
        #expect(configuration.disk.shuffle == false)
        #expect(configuration.policy == .writeThrough)
        #expect(configuration.trace.generator.seed == 42)
        // seed layout: stride = P * M exactly (2 workers x 1.5 MiB).
        #expect(configuration.rowStride == 3_145_728)
    }

    @Test("row stride: seed is P*M, page-aligned rounds up to 4 KiB; block counts round down")
    func geometry() {
        var configuration = SpillwayConfiguration()
        configuration.region.numWorkers = 3
        configuration.region.cpuPageSize = 1000
        configuration.region.layout = .seed
        #expect(configuration.rowStride == 3000)
        configuration.region.layout = .pageAligned
        #expect(configuration.rowStride == 4096)
        configuration.tiers.primaryBytes = 4096 * 10 + 4095
        configuration.tiers.diskBytes = 4096 * 3
        #expect(configuration.primaryBlockCount == 10)
        #expect(configuration.diskBlockCount == 3)
    }

    @Test("cross-key rules: one row minimum, write-through needs disk, context fits a turn")
    func crossKeyRules() {
        func failure(_ edit: (inout SpillwayConfiguration) -> Void) -> String? {
            var configuration = SpillwayConfiguration()
            edit(&configuration)
            do {
                try configuration.validate(sources: ["policy": .flag("--policy")])
                return nil
            } catch {
                return error.description
            }
        }
        #expect(
            failure { $0.tiers.primaryBytes = 1024 }
                == "config key 'tiers.primary_bytes' has bad value '1024 (1 KiB)': smaller than one row; allowed: at least one row (262144 bytes = region.num_workers x region.cpu_page_size, rounded up to 4 KiB)"
        )
        #expect(
            failure { $0.tiers.diskBytes = 4096 }
                == "config key 'tiers.disk_bytes' has bad value '4096 (4 KiB)': smaller than one row; allowed: 0 (no disk tier) or at least one row (262144 bytes = region.num_workers x region.cpu_page_size, rounded up to 4 KiB)"
        )
        #expect(failure { $0.tiers.diskBytes = 0 } == nil)
        #expect(
            failure {
                $0.tiers.diskBytes = 0
                $0.policy = .writeThrough
            }
                == "config key 'policy' has bad value 'write-through' (from flag --policy): write-through needs a disk tier (set tiers.disk_bytes); allowed: spill when tiers.disk_bytes is 0"
        )
        #expect(
            failure { $0.trace.generator.maxContextBlocks = 10 }
                == "config key 'trace.max_context_blocks' has bad value '10': a first turn could not fit; allowed: at least trace.system_prompt_blocks + trace.turn_blocks = 18"
        )
        #expect(
            failure {
                $0.region.layout = .seed
                $0.region.cpuPageSize = 1000
                $0.region.numWorkers = 1
                $0.tiers.primaryBytes = 1000
            } == nil)
        // validate() also re-checks per-key ranges for configurations built in code.
        #expect(
            failure { $0.disk.queueDepth = 0 }
                == "config key 'disk.queue_depth' has bad value '0': out of range; allowed: an integer in 1...4096"
        )
    }
}
