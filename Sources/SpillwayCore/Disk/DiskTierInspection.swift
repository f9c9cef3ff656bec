// What `inspect()` and `verify(expected:)` report about a disk tier.

/// A snapshot of the tier's space and contents.
public struct DiskTierInspection: Equatable, Sendable {
    /// Bytes of the data files the tier may fill (the capacity budget, split equally over
    /// its data files).
    public var capacityBytes: Int
    /// Bytes of the data file held by block extents (pages × 4 KiB); never above capacity.
    public var usedBytes: Int
    public var pageBytes: Int
    public var blocks: Int
    /// Blocks by the codec they are stored with (a block that did not shrink is `none`).
    public var blocksByCodec: [DiskCodec: Int]
    /// Sum of the blocks' raw lengths and of their payload bytes on disk.
    public var rawBytes: Int
    public var storedBytes: Int
    /// rawBytes / storedBytes (1 when empty); above 1 when compression gained.
    public var compressionRatio: Double
    /// Generation of the checkpoint the tier last wrote or loaded (0: none yet).
    public var checkpointGeneration: UInt64
    /// Journal batches written or replayed on top of that checkpoint: (generation, batches)
    /// names the durability point the index holds.
    public var journalBatches: Int = 0
    /// `usedBytes` per data file (one per directory, the home's first).
    public var usedBytesPerFile: [Int] = []
}

/// The result of reading and checking every block.
public struct DiskVerifyReport: Equatable, Sendable {
    /// Blocks in the index when verification started.
    public var blocks = 0
    /// Blocks that read back with valid header, key, lengths and CRC (and pattern, if given).
    public var verified = 0
    /// Blocks whose record failed its checks (CRC, key, stale record): not served, removed.
    public var corrupt = 0
    /// Blocks that could not be read (I/O error, short read).
    public var unreadable = 0
    /// Blocks whose checks passed but whose bytes are not the expected payload: a wrong block
    /// served. Always 0 unless the tier is broken.
    public var patternMismatch = 0
    public init() {}
}
