// One slot of the disk tier's index: a block's extent, lengths, checksum and state.

/// One slot of the index.
struct DiskEntry {
    enum State: UInt8 {
        /// On the free-slot list.
        case free
        /// Its extent is being written; in the key map, not readable, not evictable.
        case writing
        /// Readable; in the key map and on the LRU list.
        case live
        /// Removed from the key map and the LRU list while loads still read its extent; the
        /// extent is freed when the last load completes.
        case doomed
    }

    var key = BlockKey(traceID: 0)
    var sequence: UInt64 = 0
    var pageIndex: Int32 = 0
    /// The data file (directory) holding the extent: 0 is the home's.
    var fileIndex: UInt8 = 0
    var pageCount: Int32 = 0
    var rawLength: UInt32 = 0
    var storedLength: UInt32 = 0
    var payloadCRC: UInt32 = 0
    var codec: DiskCodec = .none
    var state: State = .free
    /// Zero-copy layout: header alone in the first page, payload from the second.
    var separateHeaderPage = false
    /// Loads in flight reading this extent. (LRU links: `DiskEntryTable`'s `SlotList`.)
    var pinCount: UInt16 = 0
    /// Linked at the most-recent end since the last `sync()`: the next journal batch lists
    /// it (all such entries form the most-recent end of the LRU list).
    var changedSinceSync = false
}
