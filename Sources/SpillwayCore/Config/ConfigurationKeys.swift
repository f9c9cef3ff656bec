// The table of every configuration key: name, range, documentation, in file order.

/// Every key of `SpillwayConfiguration`, in the order `config show` prints them.
package enum ConfigurationKeys {
    /// All keys. Environment names are `SPILLWAY_<KEY>` (dots as underscores, upper case).
    package static let all: [ConfigurationKey] = [
        .string(
            "region.instance_id", \.region.instanceID,
            allowed: "1...64 characters from A-Z a-z 0-9 . _ -, not containing '..'",
            summary: "Names the region file <region.directory>/vllm_offload_<instance_id>.mmap.",
            validate: validateInstanceID),
        .integer(
            "region.num_workers", \.region.numWorkers, range: 1...1024,
            summary: "Worker processes sharing each row (tensor-parallel ranks), M."),
        .size(
            "region.cpu_page_size", \.region.cpuPageSize, range: 1...(1 << 30),
            summary: "Bytes of one worker's slot in a row (vLLM cpu_page_size), P."),
        .choice(
            "region.layout", \.region.layout,
            summary: "Row layout: seed (stride P*M) or page-aligned (stride rounded up to 4 KiB)."),
        .string(
            "region.directory", \.region.directory,
            allowed: "an absolute path of at most 4096 bytes",
            summary: "Directory of the region file; a tmpfs such as /dev/shm.",
            validate: validateAbsolutePath),
        .integer(
            "region.num_segments", \.region.numSegments, range: 1...1024,
            summary: "Upper bound on the region's backing files (vLLM 0.33's num_segments; its CPU offloading uses 32): one per full GiB at most."),
        .integer(
            "region.join_timeout_ms", \.region.joinTimeoutMilliseconds, range: 1...600_000,
            summary: "How long a joining worker waits for the creator to size the region file."),
        .size(
            "tiers.primary_bytes", \.tiers.primaryBytes, range: 1...(1 << 50),
            summary: "Primary (shared region) capacity; rounded down to whole rows."),
        .size(
            "tiers.disk_bytes", \.tiers.diskBytes, range: 0...(1 << 56),
            summary: "Disk tier capacity for block payload; 0 disables the disk tier."),
        .choice(
            "policy", \.policy,
            summary: "spill: write to disk on eviction from primary; write-through: on store."),
        .string(
            "disk.directory", \.disk.directory,
            allowed: "a non-empty path of at most 4096 bytes",
            summary: "Directory of the disk tier's data files (created 0700 if missing).",
            validate: validatePath),
        .string(
            "disk.extra_directories", \.disk.extraDirectories,
            allowed: "empty, or up to 63 comma-separated non-empty paths of at most 4096 bytes each",
            summary: "More directories (one per device) the disk tier stripes over beside disk.directory; the capacity is split equally.",
            validate: validatePathList),
        .integer(
            "disk.queue_depth", \.disk.queueDepth, range: 1...4096,
            summary: "io_uring submission queue depth (I/Os in flight)."),
        .choice(
            "disk.direct_io", \.disk.directIO,
            summary: "O_DIRECT: required (fail if refused), auto (probe, fall back), off."),
        .choice(
            "disk.compression", \.disk.compression,
            summary: "Per-block codec: none or lz4 (blocks that do not shrink are stored raw)."),
        .boolean(
            "disk.shuffle", \.disk.shuffle,
            summary: "Byte-shuffle 2-byte elements (bf16) before LZ4; ignored without lz4."),
        .fraction(
            "disk.compression_threshold", \.disk.compressionThreshold, range: 0...1,
            excludingLowerBound: true,
            summary: "Store a block compressed only if compressed <= threshold * raw size."),
        .integer(
            "disk.sync_interval_blocks", \.disk.syncIntervalBlocks, range: 0...1_000_000,
            summary: "Flush data files every N block writes; 0 = only at clean shutdown."),
        .size(
            "disk.staging_bytes_max", \.disk.stagingBytesMax, range: 4096...(1 << 40),
            summary: "Memory for staging buffers (block + header per I/O in flight); I/Os in flight are capped to fit."),
        .choice(
            "payload", \.payload,
            summary: "Bytes the main job writes into blocks: random, bf16, zeros or mixed."),
        .string(
            "trace.file", \.trace.file,
            allowed: "empty (generate a trace) or a path of at most 4096 bytes",
            summary: "Mooncake JSONL trace to replay; empty = generate one with trace.*.",
            validate: { $0.isEmpty ? nil : validatePath($0) }),
        .integer(
            "trace.requests", \.trace.generator.requests, range: 1...10_000_000,
            summary: "Generated trace: number of requests."),
        .unsigned(
            "trace.seed", \.trace.generator.seed,
            summary: "Generated trace: PRNG seed; the same seed gives a byte-identical trace."),
        .integer(
            "trace.sessions", \.trace.generator.sessions, range: 1...1_000_000,
            summary: "Generated trace: multi-turn conversations, picked with Zipf popularity."),
        .integer(
            "trace.system_prompts", \.trace.generator.systemPrompts, range: 1...10_000,
            summary: "Generated trace: shared system prompts, picked with Zipf popularity."),
        .integer(
            "trace.system_prompt_blocks", \.trace.generator.systemPromptBlocksMax, range: 1...4096,
            summary: "Generated trace: a system prompt has 1...N blocks."),
        .integer(
            "trace.turn_blocks", \.trace.generator.turnBlocksMax, range: 1...4096,
            summary: "Generated trace: a turn adds 1...N new prompt blocks."),
        .integer(
            "trace.output_blocks", \.trace.generator.outputBlocksMax, range: 0...4096,
            summary: "Generated trace: an answer adds 0...N blocks to the session's history."),
        .integer(
            "trace.max_context_blocks", \.trace.generator.maxContextBlocks, range: 2...65_536,
            summary: "Generated trace: a session restarts when its context would exceed N blocks."),
        .fraction(
            "trace.zipf_exponent", \.trace.generator.zipfExponent, range: 0...4,
            excludingLowerBound: false,
            summary:
                "Generated trace: Zipf exponent of session and prompt popularity (0 = uniform)."),
        .integer(
            "trace.block_tokens", \.trace.generator.blockTokens, range: 1...65_536,
            summary: "Generated trace: tokens per block (input_length = blocks * N)."),
        .fraction(
            "trace.mean_interarrival_ms", \.trace.generator.meanInterarrivalMilliseconds,
            range: 0...3_600_000, excludingLowerBound: false,
            summary: "Generated trace: mean gap between request timestamps (Poisson arrivals)."),
    ]

    /// The key named `name`, or nil.
    package static func named(_ name: String) -> ConfigurationKey? {
        all.first { $0.name == name }
    }

    static func validateInstanceID(_ text: String) -> String? {
        if text.isEmpty { return "empty" }
        if text.utf8.count > 64 { return "longer than 64 characters" }
        let allowed = text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                    || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_"
                    || scalar == "-")
        }
        if !allowed { return "contains a character other than A-Z a-z 0-9 . _ -" }
        if text.contains("..") { return "contains '..'" }
        return nil
    }

    static func validatePath(_ text: String) -> String? {
        if text.isEmpty { return "empty" }
        if text.utf8.contains(0) { return "contains a NUL byte" }
        if text.utf8.count > 4096 { return "longer than 4096 bytes" }
        return nil
    }

    /// The paths of a comma-separated list (empty: none).
    package static func pathList(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    static func validatePathList(_ text: String) -> String? {
        let paths = pathList(text)
        if paths.count > 63 { return "more than 63 directories" }
        for path in paths {
            if let reason = validatePath(path) { return "\(path.isEmpty ? "a path is" : path) \(reason)" }
        }
        return nil
    }

    static func validateAbsolutePath(_ text: String) -> String? {
        if let reason = validatePath(text) { return reason }
        if !text.hasPrefix("/") { return "not an absolute path" }
        return nil
    }
}
