// Counters of the disk tier: operations, failures by cause, evictions, bytes moved.

/// Counters since the tier was opened.
public struct DiskTierStats: Equatable, Sendable {
    public var stores = 0
    public var storeFailures = 0
    public var loads = 0
    public var hits = 0
    public var misses = 0
    public var loadFailures = 0
    /// Load failures by cause (each also removed the block).
    public var checksumMismatch = 0
    public var keyMismatch = 0
    public var staleRecord = 0
    public var shortRead = 0
    public var ioError = 0
    /// Blocks the tier evicted by itself to make room (reported to the eviction handler).
    public var evictions = 0
    /// Blocks removed by `remove(key:)`.
    public var removals = 0
    /// Short transfers resubmitted for their remainder; EINTR/EAGAIN retries.
    public var resubmissions = 0
    public var retries = 0
    /// Completed `sync()` calls (durability points).
    public var syncs = 0
    /// Syncs that wrote a full checkpoint, syncs that appended a journal batch, and the
    /// index bytes (checkpoints plus batches) they wrote.
    public var fullCheckpoints = 0
    public var journalBatches = 0
    public var indexBytesWritten = 0
    public var bytesWritten = 0
    public var bytesRead = 0
    /// Stores and loads that completed moving their payload in place, straight between the
    /// caller's memory and the device (zero-copy records).
    public var zeroCopyStores = 0
    public var zeroCopyLoads = 0
    /// Stores with a codec on, by how they went: handed to the encoder and finished
    /// (`blocksEncoded`, of which `blocksCompressed` shrank enough to be kept compressed),
    /// stored raw at once because every encoder was busy (`blocksStoredRawBackpressure`:
    /// compression never makes a store wait), or stored raw without an encode because the
    /// rows before it did not compress (`blocksStoredRawIncompressible`, the tier's
    /// `DiskCompressionGate`; a probe row now and then still goes to the encoder).
    public var blocksEncoded = 0
    public var blocksCompressed = 0
    public var blocksStoredRawBackpressure = 0
    public var blocksStoredRawIncompressible = 0
    /// Data-file bytes of the rows stored raw as incompressible, and the capacity that
    /// gave up by the gate's estimate of the saving at the time (small by construction).
    public var bytesStoredRawIncompressible = 0
    public var estimatedBytesGivenUpIncompressible = 0
    /// Data-file bytes (whole pages) the encoded blocks took, and what they would have
    /// taken raw.
    public var encodedDiskBytes = 0
    public var encodedDiskBytesIfRaw = 0
    /// Data-file bytes of the blocks stored raw because the encoders were behind.
    public var bytesStoredRawBackpressure = 0
    /// Capacity the backpressure gave up, estimated: what the raw-stored blocks would have
    /// saved at the ratio the encoded blocks reached (0 before any encode finished).
    public var estimatedBytesGivenUpBackpressure: Int {
        guard encodedDiskBytesIfRaw > 0 else { return 0 }
        let saved = 1 - Double(encodedDiskBytes) / Double(encodedDiskBytesIfRaw)
        return Int((Double(bytesStoredRawBackpressure) * saved).rounded())
    }
    /// Checkpoint entries dropped at open because they were invalid or overlapping.
    public var recoveryDroppedEntries = 0
    /// Syncs the open found cut by a crash and ignored (an incomplete last journal batch,
    /// docs/DISK_FORMAT.md; a cut compaction is a corrupt slot and recovers by scan): the
    /// index is the previous completed sync's.
    public var uncommittedSyncsDiscarded = 0
    /// Completions of a failed sync's data-file fdatasyncs that the job loop reaped and
    /// dropped (that sync had already thrown; the next sync waits for them and syncs anew).
    package var discardedSyncCompletions = 0
    public init() {}
}
