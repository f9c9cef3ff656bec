// Configuration of a disk tier, validated once at open.

/// How a disk tier is created and run.
public struct DiskTierOptions: Sendable {
    /// Bytes of the data file (the capacity budget), rounded down to whole pages. Used when
    /// the tier is created; an existing tier keeps the capacity it was created with. nil:
    /// open an existing tier only.
    public var capacityBytes: Int?
    /// Largest block (raw bytes) a store accepts; sizes the staging buffers. An existing
    /// tier uses the larger of this and the value it was created with.
    public var blockByteCountMax: Int
    /// Codec for new stores (each block records its own, so this may change between opens).
    public var codec: DiskCodec
    /// A compressed block is kept only when compressed size <= threshold × raw size;
    /// otherwise it is stored raw with codec `none`.
    public var compressionThreshold: Double
    /// Jobs in flight at once (each holds one staging buffer); capped by the backend's
    /// queue depth.
    public var jobCountMax: Int
    /// Index slots to preallocate (the index grows by doubling beyond this, up to one slot
    /// per page; about 120 bytes per slot).
    public var reservedBlockCount: Int
    /// Register the staging buffers with the backend for fixed-buffer I/O (io_uring
    /// READ_FIXED / WRITE_FIXED: no per-request page pinning). Falls back silently when the
    /// backend refuses (e.g. RLIMIT_MEMLOCK).
    public var registersBuffers: Bool = true
    /// Store and load page-aligned raw blocks straight from and into the caller's memory
    /// (a header page of their own, payload after it: no staging copy). Blocks that are
    /// compressed, unaligned or not whole pages are staged either way (with a codec, the
    /// encoder reads the caller's bytes instead of a staged copy). Off by default:
    /// with it, a store reads the caller's bytes until the job completes, so the caller
    /// must leave them untouched until then (the offload tier's rows are pinned that long).
    public var zeroCopy: Bool = false
    /// Open read-only: never create, reserve, write or sync anything (`sync()` throws,
    /// `close()` only releases). The backend must have been opened read-only too
    /// (`DiskTierFactory` does both); used by `disk inspect` and `disk verify`.
    public var readOnly: Bool = false
    /// When a checkpoint slot is corrupt (or none is valid), rebuild the index by scanning
    /// the data file's record headers (docs/DISK_FORMAT.md, "Recovery by scan") instead of
    /// trusting only the older checkpoint. Off: the older checkpoint alone, as before (the
    /// corruption is still reported in `DiskTier.recovery`).
    public var scanRecovery: Bool = true
    /// Upper bound on the staging buffers' memory (one buffer of header + largest block,
    /// rounded to pages, per job in flight). Jobs in flight are capped to fit; a budget
    /// below one buffer is refused at open with the numbers.
    public var stagingBytesMax: Int = DiskTierOptions.defaultStagingBytesMax

    /// The default staging budget: 256 MiB (64 jobs of 2 MiB blocks take 128 MiB).
    public static let defaultStagingBytesMax = 256 << 20

    public init(
        capacityBytes: Int? = nil, blockByteCountMax: Int = 2 << 20, codec: DiskCodec = .none,
        compressionThreshold: Double = 0.9, jobCountMax: Int = 64, reservedBlockCount: Int = 1024
    ) {
        self.capacityBytes = capacityBytes
        self.blockByteCountMax = blockByteCountMax
        self.codec = codec
        self.compressionThreshold = compressionThreshold
        self.jobCountMax = jobCountMax
        self.reservedBlockCount = reservedBlockCount
    }

    /// The largest `blockByteCountMax`: lengths must fit the 32-bit signed sizes of LZ4.
    public static let blockByteCountLimit = Int(Int32.max) - DiskRecordHeader.byteCount

    func validate() throws {
        if let capacity = capacityBytes, capacity < DiskLayout.pageBytes {
            throw DiskTierError(
                .invalidOptions,
                "capacity \(capacity) bytes is below one 4 KiB page: raise --capacity-bytes")
        }
        if let capacity = capacityBytes, capacity / DiskLayout.pageBytes > Int(Int32.max) {
            throw DiskTierError(
                .invalidOptions,
                "capacity \(capacity) bytes is above the 8 TiB a data file can address: lower --capacity-bytes"
            )
        }
        // LZ4 and the codec path take 32-bit signed lengths: a larger block would trap when
        // compressed or decompressed.
        guard blockByteCountMax > 0, blockByteCountMax <= Self.blockByteCountLimit else {
            throw DiskTierError(
                .invalidOptions,
                "blockByteCountMax \(blockByteCountMax) must be in 1...\(Self.blockByteCountLimit) (2 GiB less the 128-byte record header)"
            )
        }
        guard compressionThreshold > 0, compressionThreshold <= 1 else {
            throw DiskTierError(
                .invalidOptions, "compressionThreshold \(compressionThreshold) must be in (0, 1]")
        }
        guard jobCountMax > 0 else {
            throw DiskTierError(.invalidOptions, "jobCountMax must be positive")
        }
        guard stagingBytesMax > 0 else {
            throw DiskTierError(.invalidOptions, "stagingBytesMax must be positive")
        }
    }

    /// Bytes of one job's staging buffer for blocks of up to `blockByteCountMax` bytes.
    public static func stagingBytes(blockByteCountMax: Int, alignment: Int = 4096) -> Int {
        DiskLayout.roundUp(
            DiskRecordHeader.byteCount + blockByteCountMax,
            to: max(DiskLayout.pageBytes, alignment))
    }

    /// Jobs in flight for `blockByteCountMax`, capped by `jobCountMax`, the backend's queue
    /// depth and the staging budget.
    /// - Throws: `.invalidOptions` with the numbers when not even one staging buffer fits.
    public func jobCount(blockByteCountMax: Int, queueDepth: Int, alignment: Int = 4096) throws
        -> Int
    {
        let perJob = Self.stagingBytes(blockByteCountMax: blockByteCountMax, alignment: alignment)
        let fitting = stagingBytesMax / perJob
        guard fitting >= 1 else {
            throw DiskTierError(
                .invalidOptions,
                "one staging buffer for \(blockByteCountMax)-byte blocks takes \(perJob) bytes, above the staging budget of \(stagingBytesMax) bytes: raise the budget (disk.staging_bytes_max) or lower the block size"
            )
        }
        return max(1, min(jobCountMax, queueDepth, fitting))
    }
}
