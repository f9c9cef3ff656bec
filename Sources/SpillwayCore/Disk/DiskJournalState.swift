// What the disk tier knows about its index journal: the file, where the next batch goes,
// and the index changes made since the last sync that the next batch must record.

/// The journal's position and the pending index changes (docs/DISK_FORMAT.md, "Index
/// journal").
struct DiskJournalState {
    /// `spillway-journal`; nil for a read-only tier without one.
    var file: IOFileID?
    /// Generation and header CRC of the full checkpoint the journal extends.
    var baseGeneration: UInt64 = 0
    var baseCRC: UInt32 = 0
    /// Bytes of valid batches: the next batch is written here.
    var endOffset = 0
    var nextBatch: UInt64 = 1
    /// Header CRC of the last batch (0 before the first).
    var previousCRC: UInt32 = 0
    /// Live entries linked at the most-recent end since the last sync (flagged
    /// `changedSinceSync`; they are exactly the `changedLiveCount` most recent entries).
    var changedLiveCount = 0
    /// Keys unlinked from the index (removed, evicted, replaced, failed) since the last sync.
    var removals: [BlockKey] = []
    /// Syncs that must write a full checkpoint whatever changed (after a scan recovery both
    /// slots are rewritten; after an open dropped entries the journal no longer describes
    /// the index).
    var fullCheckpointsPending = 0
    /// A sync writes a full checkpoint instead of a batch when the journal would grow past
    /// max(`byteCountMin`, `compactionFraction` × the full checkpoint's bytes).
    var compactionFraction = 0.125
    var byteCountMin = 1 << 20

    /// Starts an empty journal after the full checkpoint (`generation`, `crc`).
    mutating func restart(after generation: UInt64, crc: UInt32) {
        baseGeneration = generation
        baseCRC = crc
        endOffset = 0
        nextBatch = 1
        previousCRC = 0
    }
}
