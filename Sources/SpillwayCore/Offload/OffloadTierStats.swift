// Counters of an offload tier since open, as an engine's metrics endpoint shows them.

/// Counters of an offload tier (cumulative since open) and its gauges.
public struct OffloadTierStats: Equatable, Sendable {
    /// Lookups answered hit / miss / pending.
    public var lookupHits = 0
    public var lookupMisses = 0
    public var lookupPending = 0
    /// Blocks written to disk, and store requests skipped because the block was held.
    public var blocksStored = 0
    public var blocksStoreSkipped = 0
    public var blocksStoreFailed = 0
    /// Blocks loaded and verified, and loads that failed (miss, corrupt, I/O error).
    public var blocksLoaded = 0
    public var blocksLoadFailed = 0
    /// Loads that found a corrupt block (checksum, key or sequence mismatch): never served.
    public var blocksCorrupt = 0
    /// Blocks evicted to stay within the capacity.
    public var blocksEvicted = 0
    public var bytesWritten = 0
    public var bytesRead = 0
    public var jobsStore = 0
    public var jobsLoad = 0
    /// Durability points (checkpoints) written.
    public var syncs = 0
    /// Gauges: blocks held, bytes of the data file in use, the capacity.
    public var blocksHeld = 0
    public var bytesUsed = 0
    public var capacityBytes = 0
    /// Blocks stored / loaded straight between the rows and the device (no staging copy).
    public var blocksZeroCopyStored = 0
    public var blocksZeroCopyLoaded = 0
    /// With compression: blocks kept compressed, blocks stored raw because every encode
    /// thread was busy, and the capacity that cost (bytes, estimated; `DiskTierStats`).
    public var blocksCompressed = 0
    public var blocksStoredRawBackpressure = 0
    public var bytesGivenUpBackpressure = 0
    /// With compression: blocks stored raw without an encode because the blocks before
    /// them did not compress (`DiskTierStats.blocksStoredRawIncompressible`).
    public var blocksStoredRawIncompressible = 0
    /// Whether the data file is read and written with O_DIRECT.
    public var usesDirectIO = false

    public init() {}
}
