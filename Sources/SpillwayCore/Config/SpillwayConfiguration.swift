// The effective configuration of a Spillway instance: region, tiers, disk, payload, trace.

/// Everything an operator can set, in sections that mirror `Config/default.json`.
///
/// The built-in defaults (`SpillwayConfiguration()`) are exactly `Config/default.json`: a
/// small instance that runs the main job in well under a minute. Values are checked by
/// `validate()`; `ConfigurationKeys.all` lists every key with its range and documentation.
public struct SpillwayConfiguration: Codable, Sendable, Equatable {
    public var region = Region()
    public var tiers = Tiers()
    /// When blocks are written to the disk tier (docs/SEMANTICS.md, Tiering policies).
    public var policy: TieringPolicy = .spill
    public var disk = Disk()
    /// The bytes the main job and benchmarks put in each block.
    public var payload: PayloadChoice = .bf16
    public var trace = Trace()

    public init() {}

    /// Primary tier geometry: the shared offload region.
    public struct Region: Codable, Sendable, Equatable {
        /// Names the region file `<directory>/vllm_offload_<instance_id>.mmap`.
        public var instanceID = "spillway-default"
        /// Worker processes sharing each row (`M`).
        public var numWorkers = 2
        /// Bytes of one worker's slot in a row (`P`, vLLM's `cpu_page_size`).
        public var cpuPageSize: UInt64 = 128 << 10
        /// Row layout (docs/REGION.md, Layout).
        public var layout: RegionLayoutKind = .pageAligned
        /// Directory of the region file, a tmpfs such as `/dev/shm`.
        public var directory = "/dev/shm"
        /// Upper bound on the region's backing files (vLLM 0.33's `num_segments`): the
        /// region is split into at most this many files, one per full GiB at most.
        public var numSegments = 1
        /// How long a joiner waits for the creator to size the file.
        public var joinTimeoutMilliseconds = 30_000

        public init() {}

        enum CodingKeys: String, CodingKey {
            case instanceID = "instance_id"
            case numWorkers = "num_workers"
            case cpuPageSize = "cpu_page_size"
            case layout, directory
            case numSegments = "num_segments"
            case joinTimeoutMilliseconds = "join_timeout_ms"
        }
    }

    /// Tier capacities in bytes; block counts follow from the row stride.
    public struct Tiers: Codable, Sendable, Equatable {
        /// Bytes of the shared region (`numBlocks * rowStride`, rounded down to whole rows).
        public var primaryBytes: UInt64 = 96 << 20
        /// Bytes of block payload the disk tier may hold; 0 disables the disk tier.
        public var diskBytes: UInt64 = 512 << 20

        public init() {}

        enum CodingKeys: String, CodingKey {
            case primaryBytes = "primary_bytes"
            case diskBytes = "disk_bytes"
        }
    }

    /// The disk tier.
    public struct Disk: Codable, Sendable, Equatable {
        /// Directory of the tier's data files (created 0700 if missing).
        public var directory = "/var/tmp/spillway"
        /// More directories (one per device, comma separated; empty: none) the disk tier
        /// stripes its blocks over beside `directory` (docs/DISK_FORMAT.md, "Several
        /// directories").
        package var extraDirectories = ""
        /// io_uring submission queue depth.
        public var queueDepth = 32
        /// Whether data files are opened with O_DIRECT.
        public var directIO: DirectIOMode = .auto
        /// Per-block codec.
        public var compression: CompressionKind = .lz4
        /// Byte-shuffle (element size 2, for bf16/fp16) before LZ4; ignored without LZ4.
        public var shuffle = true
        /// A block is stored compressed only if `compressed <= threshold * raw`.
        public var compressionThreshold = 0.9
        /// Flush data files after this many block writes; 0 = only at clean shutdown.
        public var syncIntervalBlocks = 64
        /// Memory for the disk tier's staging buffers (one block + header per I/O in flight):
        /// the I/Os in flight are capped to fit; a budget below one buffer is refused.
        public var stagingBytesMax: UInt64 = 256 << 20

        public init() {}

        enum CodingKeys: String, CodingKey {
            case directory
            case extraDirectories = "extra_directories"
            case queueDepth = "queue_depth"
            case directIO = "direct_io"
            case compression, shuffle
            case compressionThreshold = "compression_threshold"
            case syncIntervalBlocks = "sync_interval_blocks"
            case stagingBytesMax = "staging_bytes_max"
        }
    }

    /// The trace the main job replays: generated (the default) or read from a file.
    public struct Trace: Codable, Sendable, Equatable {
        /// A Mooncake JSONL file to replay instead of generating one; empty = generate.
        public var file = ""
        /// Generator settings (ignored when `file` is set).
        public var generator = TraceGenerator.Parameters()

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            file = try container.decodeIfPresent(String.self, forKey: .file) ?? ""
            generator = try TraceGenerator.Parameters(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(file, forKey: .file)
            try generator.encode(to: encoder)
        }

        enum CodingKeys: String, CodingKey {
            case file
        }
    }
}

/// Row layout of the shared region (docs/REGION.md, Layout).
public enum RegionLayoutKind: String, Codable, Sendable, CaseIterable {
    /// vLLM 0.22: stride = cpu_page_size * num_workers.
    case seed
    /// Current vLLM: stride rounded up to the 4 KiB page size.
    case pageAligned = "page-aligned"
}

/// Per-block codec of the disk tier.
public enum CompressionKind: String, Codable, Sendable, CaseIterable {
    case none
    case lz4
}

/// The bytes written into blocks by the main job and benchmarks, as a configuration value
/// (the generator's `PayloadKind` also carries a mixed fraction; `mixed` means 0.5 here).
public enum PayloadChoice: String, Codable, Sendable, CaseIterable {
    /// Uniform random bytes (incompressible).
    case random
    /// bf16 values of a smooth activation-like distribution (what KV caches hold).
    case bf16
    /// All zero bytes (best case for compression).
    case zeros
    /// A per-block mix of the three.
    case mixed
}

extension PayloadChoice {
    /// The generator's payload kind for this setting.
    public var kind: PayloadKind { PayloadKind(parsing: rawValue)! }
}

extension SpillwayConfiguration.Disk {
    /// The disk tier codec for the `compression` and `shuffle` settings.
    public var codec: DiskCodec {
        switch compression {
        case .none: return .none
        case .lz4: return shuffle ? .lz4Shuffle2 : .lz4
        }
    }
}
