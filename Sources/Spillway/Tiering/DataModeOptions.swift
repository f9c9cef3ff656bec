// Settings of a data-mode replay: capacities, row size, where the disk tier lives, codec.
import SpillwayCore

/// How `DataModeReplay` builds its store.
package struct DataModeOptions: Sendable {
    package var primaryBlocks: Int
    package var diskBlocks: Int
    package var policy: TieringPolicy
    /// Bytes of a row (the region's `cpuPageSize`, one worker): the block size.
    package var blockBytes: Int
    /// The disk tier directory; nil: a fresh temporary directory under `/tmp`. A given
    /// directory must not hold a tier already (it is created 0700 when missing).
    package var diskDirectory: String?
    /// More directories (one per device) the disk tier stripes over beside `diskDirectory`
    /// (which must then be given): each created when missing, refused when it holds a tier.
    package var extraDiskDirectories: [String] = []
    /// Keep the disk tier (closed and synced, so `spillway disk verify --pattern` can check
    /// it) and its directory; otherwise both are removed.
    package var keep: Bool
    package var codec: DiskCodec
    package var payload: PayloadKind
    /// io_uring queue depth = disk jobs in flight.
    package var queueDepth: Int
    package var directIO: DirectIOMode
    /// Where the region file goes (`/dev/shm`).
    package var regionDirectory: String
    /// The region's geometry: worker slots per row and slot bytes. nil: one worker whose
    /// slot is the whole block (`cpuPageSize = blockBytes`). When set, the row stride the
    /// layout gives must equal `blockBytes` (the disk tier moves whole rows).
    package var regionGeometry: (numWorkers: Int, cpuPageSize: Int, layout: SharedOffloadRegion.Layout)?
    /// The region's instance id; nil: a unique one. A named region must be created by this
    /// replay (a file already at the path is refused, never joined and overwritten).
    package var regionInstanceID: String?
    /// Upper bound on the region's backing files (vLLM 0.33's `num_segments`).
    package var regionNumSegments = 1
    /// A block is stored compressed only when it shrinks to this fraction of its raw size.
    package var compressionThreshold: Double = 0.9
    /// Make the disk tier durable (`DiskTier.sync()`) after every this many block stores;
    /// 0: only when the kept tier is closed at the end.
    package var syncIntervalBlocks = 0
    /// Memory budget of the disk tier's staging buffers (`DiskTierOptions.stagingBytesMax`).
    package var stagingBytesMax = DiskTierOptions.defaultStagingBytesMax

    package init(
        primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy, blockBytes: Int = 256 << 10,
        diskDirectory: String? = nil, keep: Bool = false, codec: DiskCodec = .none,
        payload: PayloadKind = .random, queueDepth: Int = 64, directIO: DirectIOMode = .auto,
        regionDirectory: String = "/dev/shm"
    ) {
        self.primaryBlocks = primaryBlocks
        self.diskBlocks = diskBlocks
        self.policy = policy
        self.blockBytes = blockBytes
        self.diskDirectory = diskDirectory
        self.keep = keep
        self.codec = codec
        self.payload = payload
        self.queueDepth = queueDepth
        self.directIO = directIO
        self.regionDirectory = regionDirectory
    }
}
