// How an offload tier is opened: its directory (and the extra directories it stripes over),
// capacity, codec, queue depth, O_DIRECT policy and sync interval, validated once with
// messages that name the setting.
import SpillwayCore
import SpillwaySystem

/// Settings of an offload tier (the C ABI's `spw_tier_options`, the Python tier's dict).
public struct OffloadTierConfiguration: Sendable {
    /// The tier's directory (created 0700 when missing; one tier per directory).
    public var directory: String
    /// Further directories, one per device, that the tier stripes its data over; `directory`
    /// is the home (docs/DISK_FORMAT.md, "Several directories"). Each is created 0700 when
    /// missing. The list is fixed when the tier is created: reopening with another list (or
    /// order) fails naming the difference.
    public var extraDirectories: [String] = []
    /// Bytes of the data file when the tier is created; an existing tier keeps its own.
    /// nil: open an existing tier only.
    public var capacityBytes: Int?
    public var codec: DiskCodec = .none
    /// A compressed block is kept only when it shrinks to this fraction of its raw size.
    public var compressionThreshold: Double = 0.9
    /// io_uring queue depth = blocks in flight.
    public var queueDepth: Int = 64
    public var directIO: DirectIOMode = .auto
    /// Sync (write a durable checkpoint) after every this many stored blocks; 0: only on
    /// `sync()` and `close()`.
    public var syncIntervalBlocks: Int = 4096
    /// Threads compressing rows beside the I/O thread when `codec` is not `none`
    /// (`ThreadedDiskEncoder`: rows are stored raw while they are all busy, so compression
    /// never slows stores); 0 compresses on the I/O thread, every row.
    public var encoderThreads: Int = DiskTierFactory.defaultEncoderThreads

    public init(directory: String, capacityBytes: Int?) {
        self.directory = directory
        self.capacityBytes = capacityBytes
    }

    /// The allowed queue depths (io_uring ring entries).
    public static let queueDepthRange = 1...4096

    func validate() throws {
        guard !directory.isEmpty else {
            throw OffloadTierError(.invalidArgument, "directory is empty: name the tier's directory")
        }
        try validateExtraDirectories()
        guard Self.queueDepthRange.contains(queueDepth) else {
            throw OffloadTierError(
                .invalidArgument,
                "queue depth \(queueDepth) is outside \(Self.queueDepthRange.lowerBound)...\(Self.queueDepthRange.upperBound)"
            )
        }
        guard compressionThreshold > 0, compressionThreshold <= 1 else {
            throw OffloadTierError(
                .invalidArgument,
                "compression threshold \(compressionThreshold) is outside (0, 1]")
        }
        guard (0...64).contains(encoderThreads) else {
            throw OffloadTierError(
                .invalidArgument, "encoder threads \(encoderThreads) is outside 0...64")
        }
        guard syncIntervalBlocks >= 0 else {
            throw OffloadTierError(
                .invalidArgument, "sync interval \(syncIntervalBlocks) blocks is negative")
        }
    }

    /// Refuses an empty extra directory, more than a tier stripes over, and a path given
    /// twice (as spelled; the backend also refuses two spellings of one directory).
    private func validateExtraDirectories() throws {
        let limit = DiskLayout.dataFileCountMax - 1
        guard extraDirectories.count <= limit else {
            throw OffloadTierError(
                .invalidArgument,
                "\(extraDirectories.count) extra directories: a tier stripes over at most \(limit + 1) directories, the home included")
        }
        var seen = [Self.comparable(directory): "the home directory"]
        for (index, path) in extraDirectories.enumerated() {
            let name = "extra_directories[\(index)]"
            guard !path.isEmpty else {
                throw OffloadTierError(
                    .invalidArgument, "\(name) is empty: name a directory (one per device)")
            }
            if let earlier = seen[Self.comparable(path)] {
                throw OffloadTierError(
                    .invalidArgument,
                    "\(name) (\(path)) repeats \(earlier): give each directory once (one per device)")
            }
            seen[Self.comparable(path)] = name
        }
    }

    /// A path without its trailing slashes, to compare spellings.
    private static func comparable(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}

extension OffloadTier where IO == URingIO {
    /// Opens (or creates) the disk tier in `configuration.directory` (striped over
    /// `configuration.extraDirectories` too, when given) over io_uring and starts the I/O
    /// thread over `memory`.
    /// - Throws: `OffloadTierError` `.invalidArgument` (a setting out of range, rows larger
    ///   than an existing tier's blocks) or `.openFailed` (directory, io_uring, a corrupt
    ///   index), with the cause in the message.
    public static func open(
        _ configuration: OffloadTierConfiguration, memory: RowMemory
    ) throws -> OffloadTier<URingIO> {
        try configuration.validate()
        var options = DiskTierOptions(
            capacityBytes: configuration.capacityBytes, blockByteCountMax: memory.rowStride,
            codec: configuration.codec, compressionThreshold: configuration.compressionThreshold,
            jobCountMax: configuration.queueDepth,
            reservedBlockCount: max(
                1024, min((configuration.capacityBytes ?? 0) / max(memory.rowStride, 1), 1 << 20)))
        options.registersBuffers = true
        // Rows stay pinned until their job is reported, so aligned raw rows go to and from
        // the device in place.
        options.zeroCopy = true
        let tier: DiskTier<URingIO>
        do {
            tier = try DiskTierFactory.open(
                directories: [configuration.directory] + configuration.extraDirectories,
                options: options,
                queueDepth: configuration.queueDepth, directIO: configuration.directIO,
                encoderThreads: configuration.encoderThreads)
        } catch {
            throw OffloadTierError(
                .openFailed, "cannot open the disk tier in \(configuration.directory): \(error)")
        }
        do {
            let worker = try OffloadWorker(
                tier: tier, memory: memory, syncIntervalBlocks: configuration.syncIntervalBlocks)
            return try OffloadTier(worker: worker)
        } catch {
            try? tier.close()
            throw error
        }
    }
}
