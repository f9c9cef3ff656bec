// The disk tier: KV-cache blocks as checksummed extents in a preallocated data file, with a
// page allocator, a byte budget enforced by block-level LRU eviction, optional LZ4, and a
// checkpointed index that survives restarts and crashes. Generic over the I/O seam.

/// A persistent, capacity-bounded block store on one directory, or striped over several
/// (one data file each, `dataFileCount`), over any `IOBackend`.
///
/// **Layout** (docs/DISK_FORMAT.md): data files of `capacityBytes` together (split equally),
/// reserved up front, split in 4 KiB pages; each block is one contiguous extent: a 128-byte `DiskRecordHeader`
/// (magic, key, codec, raw and stored lengths, payload CRC32C, sequence number, header CRC)
/// then the payload, written by ONE request from an aligned staging buffer. Two checkpoint
/// files (A/B) list the live extents.
///
/// **Capacity**: extents live only inside the data file, so used bytes never exceed
/// `capacityBytes`. A store that finds no free run evicts least-recently-used blocks (not
/// being read) until one opens; each eviction is reported to `evictionHandler`.
/// Compressed blocks take fewer pages, so the same capacity holds more of them.
///
/// **Verification**: every load checks the header CRC, the key, the sequence number, the
/// lengths and the payload CRC against the index. A mismatch, a short read or an I/O error
/// makes that load fail, removes the block, counts the cause in `stats`, and never copies
/// unverified bytes into the caller's buffer as a success.
///
/// **Durability point**: `sync()`. It waits for every job in flight, fdatasyncs the data
/// file, then writes a checkpoint of every live block to the older checkpoint slot and
/// fdatasyncs it. When `sync()` returns, every block stored (completed) before the call
/// survives a crash or kill -9, unless it is later evicted or removed. Blocks stored after
/// the last completed `sync()` may be lost on a crash. `close()` syncs. Reopening loads the
/// newest valid checkpoint (a torn one fails its CRC and the other slot is used) and trusts
/// nothing else: one sequential read, no per-block reads. An extent the checkpoint lists
/// that was reused or torn after it fails the key/sequence/CRC checks on its first load
/// and is dropped, so a stale or torn block is never served.
///
/// **Direct path**: with direct I/O every request is 4 KiB aligned in buffer, offset and
/// length. Rows are copied (or compressed) into a staging buffer behind the header. An
/// aligned caller buffer could be written without a copy when the codec is `none` by
/// putting the header in its own page ahead of the payload and submitting two requests
/// (header page + caller pages) to the same extent; the format already allows it (payload
/// offset = header bytes), only the 128-byte header would grow to a page. Not done yet.
///
/// Not thread-safe: one owner drives it (the tiered store's I/O loop).
public final class DiskTier<IO: IOBackend> {
    /// The backend this tier moves bytes through.
    public let io: IO
    /// Bytes of the data file (the capacity budget).
    public let capacityBytes: Int
    /// Largest block a store accepts.
    public let blockByteCountMax: Int
    /// Codec for new stores.
    public var codec: DiskCodec
    /// Compressed size must be at most this fraction of raw, else the block is stored raw.
    public var compressionThreshold: Double
    /// Whether page-aligned raw blocks move straight between the caller's memory and the
    /// device (`DiskTierOptions.zeroCopy`).
    public var zeroCopy: Bool
    /// Called with the key of every block the tier evicts by itself to make room.
    public var evictionHandler: ((BlockKey) -> Void)?
    /// Counters since open.
    public internal(set) var stats = DiskTierStats()
    /// What the open found wrong and recovered (a corrupt checkpoint slot, a scan of the
    /// data file); nil when the open was clean. Owners should report it loudly: it is never
    /// silent data loss, but it is never normal either.
    public internal(set) var recovery: DiskTierRecovery?
    /// True when opened with `DiskTierOptions.readOnly`: nothing is ever written.
    public let isReadOnly: Bool

    let alignment: Int
    /// The data files, one per directory (`dataFiles[0]` in the home).
    let dataFiles: [IOFileID]
    var checkpointFiles: [IOFileID]
    var checkpointGeneration: UInt64
    var nextSequence: UInt64
    /// The index journal and the changes it has not recorded yet (DiskTier+Journal.swift).
    var journal = DiskJournalState()
    var allocator: DiskFileAllocators
    var table: DiskEntryTable

    // Jobs: preallocated, one staging buffer each.
    var jobs: [DiskJob]
    var freeJobs: [Int32]
    let stagingBytes: Int
    let staging: UnsafeMutableRawPointer
    /// Shuffle scratch, used synchronously while decoding one block.
    let scratch: UnsafeMutableRawPointer
    /// Where payload encodes go (`useEncoder`; default `InlineDiskEncoder`), the store jobs
    /// waiting for one, and the buffer finished encodes are taken into.
    var encoder: any DiskEncoder
    var encodingJobCount = 0
    /// Whether rows are worth encoding lately (stored raw without an encode when not).
    package var compressionGate = DiskCompressionGate()
    var encodeResults: [DiskEncodeResult] = []
    var ready: [DiskCompletion] = []
    var reaped: [IOCompletion] = []
    var needsSubmit = false
    var facadeOutcome: DiskJobOutcome?
    var isClosed = false
    /// The errno of a failed data-file fdatasync, once one failed. After such a failure the
    /// kernel may have dropped the dirty pages and a retried fdatasync can succeed without
    /// them ("fsyncgate"), so no later `sync()` may claim durability until the tier is
    /// reopened from its last good checkpoint.
    var dataSyncErrno: Int32?
    /// Data-file fdatasyncs (tags in the sync range, `dataSyncIndex`) prepared or submitted
    /// and not yet reaped: left by a sync whose submit was refused or whose reap failed. The
    /// job loop reaps and discards their completions; the next sync waits for them first.
    /// They hold queue entries meanwhile, so job admission counts them (`roomBesideStraySyncs`).
    package internal(set) var dataSyncsInFlight = 0

    /// True after a data-file fdatasync failed: `sync()` refuses from then on, and the
    /// owner should drop this tier and open the directory again (recovering the last good
    /// checkpoint; blocks stored since then are verified on load like any other).
    public var needsReopen: Bool { dataSyncErrno != nil }
    /// Whether the staging buffers are registered (job i's buffer is registered index i).
    var buffersRegistered = false

    /// Whether jobs use fixed-buffer I/O (staging buffers registered with the backend).
    public var usesRegisteredBuffers: Bool { buffersRegistered }

    /// Upper bound on pages one allocation examines before it falls back to evicting
    /// (default 65536). An owner that sizes the tier so it never has to evict (the tiered
    /// store's data path) raises it to the page count, so a free run anywhere is found.
    public var allocationScanPageCountMax: Int {
        get { allocator.scanPageCountMax }
        set { allocator.scanPageCountMax = max(1, newValue) }
    }

    /// Jobs that can be in flight at once (each holds a staging buffer).
    public var jobCapacity: Int { jobs.count }

    /// Jobs submitted and not yet completed.
    public var inFlightJobCount: Int { jobs.count - freeJobs.count }

    /// Number of readable blocks.
    public var blockCount: Int { table.liveCount }

    /// Bytes held by extents (whole pages).
    public var usedBytes: Int { allocator.usedPageCount * DiskLayout.pageBytes }

    /// Data files the tier stripes its blocks over (one per directory of the backend).
    public var dataFileCount: Int { dataFiles.count }

    /// Bytes held by extents in data file `index` (whole pages).
    public func usedBytes(inFile index: Int) -> Int {
        allocator.files[index].usedPageCount * DiskLayout.pageBytes
    }

    /// Bytes of each data file: `capacityBytes` split equally over the files.
    public var bytesPerDataFile: Int { allocator.pagesPerFile * DiskLayout.pageBytes }

    init(
        io: IO, options: DiskTierOptions, dataFiles: [IOFileID], checkpointFiles: [IOFileID],
        bytesPerDataFile: Int, blockByteCountMax: Int, checkpointGeneration: UInt64,
        nextSequence: UInt64
    ) {
        self.io = io
        self.isReadOnly = options.readOnly
        self.blockByteCountMax = blockByteCountMax
        self.codec = options.codec
        self.compressionThreshold = options.compressionThreshold
        self.zeroCopy = options.zeroCopy
        self.alignment = max(1, io.requiredAlignment)
        self.dataFiles = dataFiles
        self.checkpointFiles = checkpointFiles
        self.checkpointGeneration = checkpointGeneration
        self.nextSequence = nextSequence
        let pagesPerFile = bytesPerDataFile / DiskLayout.pageBytes
        self.capacityBytes = pagesPerFile * DiskLayout.pageBytes * dataFiles.count
        self.allocator = DiskFileAllocators(fileCount: dataFiles.count, pagesPerFile: pagesPerFile)
        let pageCount = allocator.pageCount
        self.table = DiskEntryTable(
            reserved: options.reservedBlockCount, slotCountMax: max(1, pageCount))
        // The convenience init checked that at least one staging buffer fits the budget.
        let jobCount =
            (try? options.jobCount(
                blockByteCountMax: blockByteCountMax, queueDepth: io.queueDepth,
                alignment: max(1, io.requiredAlignment))) ?? 1
        self.jobs = Array(repeating: DiskJob(), count: jobCount)
        self.freeJobs = (0..<Int32(jobCount)).reversed()
        let pageAlignment = max(DiskLayout.pageBytes, alignment)
        self.stagingBytes = DiskLayout.roundUp(
            DiskRecordHeader.byteCount + blockByteCountMax, to: pageAlignment)
        self.staging = UnsafeMutableRawPointer.allocate(
            byteCount: stagingBytes * jobCount, alignment: pageAlignment)
        self.scratch = UnsafeMutableRawPointer.allocate(
            byteCount: max(blockByteCountMax, 16), alignment: 64)
        self.encoder = InlineDiskEncoder(blockByteCountMax: blockByteCountMax)
        encodeResults.reserveCapacity(jobCount)
        ready.reserveCapacity(jobCount * 2)
        reaped.reserveCapacity(io.queueDepth)
        if options.registersBuffers {
            let stagingBytes = self.stagingBytes
            let staging = self.staging
            buffersRegistered = io.registerBuffers(
                (0..<jobCount).map {
                    UnsafeMutableRawBufferPointer(
                        start: staging + $0 * stagingBytes, count: stagingBytes)
                })
        }
    }

    deinit {
        releaseResources()
    }

    /// Closes the files and frees the buffers. When jobs are still in flight (the owner
    /// dropped the tier without `close()`), the staging buffers are deliberately leaked:
    /// the device may still write into them, and a use-after-free is worse than a leak.
    func releaseResources() {
        guard !isClosed else { return }
        isClosed = true
        // No encoder thread may touch staging or a caller's row after this: encodes not
        // started are taken back, running ones waited for. (Their jobs stay counted, so
        // staging is leaked below rather than freed under them.)
        if encodingJobCount > 0 {
            var discarded: [DiskEncodeWork] = []
            encoder.reclaim(into: &discarded)
            var outstanding = encodingJobCount - discarded.count
            while outstanding > 0 {
                encodeResults.removeAll(keepingCapacity: true)
                encoder.waitFinished(into: &encodeResults)
                outstanding -= encodeResults.count
            }
        }
        if inFlightJobCount == 0 {
            if buffersRegistered { _ = io.registerBuffers([]) }
            staging.deallocate()
        }
        for file in dataFiles { io.closeFile(file) }
        for file in Set(checkpointFiles) where !dataFiles.contains(file) { io.closeFile(file) }
        if let file = journal.file { io.closeFile(file) }
        scratch.deallocate()
        if inFlightJobCount == 0 { io.releaseDirectory() }
    }

    func stagingBuffer(_ job: Int32) -> UnsafeMutableRawPointer {
        staging + Int(job) * stagingBytes
    }

    // MARK: Index queries

    /// Whether `key` is readable (stored, not evicted, not being written).
    public func contains(_ key: BlockKey) -> Bool {
        guard let slot = table.lookup(key) else { return false }
        return table.entries[Int(slot)].state == .live
    }

    /// Makes `key` the most recently used block. Returns false when it is not readable.
    @discardableResult
    public func touch(_ key: BlockKey) -> Bool {
        guard let slot = table.lookup(key), table.entries[Int(slot)].state == .live else {
            return false
        }
        table.unlink(slot)
        table.linkMostRecent(slot)
        noteLinked(slot)
        return true
    }

    /// Removes a readable block; its pages are free at once (or when loads in flight on it
    /// complete). Returns false when `key` is not readable (absent or still being written).
    /// The removal is durable at the next `sync()`.
    @discardableResult
    public func remove(_ key: BlockKey) -> Bool {
        guard let slot = table.lookup(key), table.entries[Int(slot)].state == .live else {
            return false
        }
        drop(slot)
        stats.removals += 1
        return true
    }

    /// Keys of the readable blocks, least recently used first (allocates; for tools).
    public func keysLeastRecentFirst() -> [BlockKey] {
        var keys: [BlockKey] = []
        keys.reserveCapacity(table.liveCount)
        var slot = table.leastRecent
        while slot >= 0 {
            keys.append(table.entries[Int(slot)].key)
            slot = table.moreRecent(slot)
        }
        return keys
    }

    /// The raw length of a readable block, or nil.
    public func rawLength(of key: BlockKey) -> Int? {
        guard let slot = table.lookup(key), table.entries[Int(slot)].state == .live else {
            return nil
        }
        return Int(table.entries[Int(slot)].rawLength)
    }

    // MARK: Space

    /// Removes a live block from the key map and the LRU list; frees its extent now, or
    /// when the last load reading it completes.
    func drop(_ slot: Int32) {
        let entry = table.entries[Int(slot)]
        precondition(entry.state == .live, "drop of a block that is not live")
        table.removeKey(entry.key)
        table.unlink(slot)
        noteUnlinked(entry)
        if entry.pinCount == 0 {
            freeExtentAndSlot(slot)
        } else {
            table.entries[Int(slot)].state = .doomed
        }
    }

    func freeExtentAndSlot(_ slot: Int32) {
        let entry = table.entries[Int(slot)]
        if entry.pageCount > 0 {
            allocator.files[Int(entry.fileIndex)].markFree(
                start: Int(entry.pageIndex), count: Int(entry.pageCount))
        }
        table.releaseSlot(slot)
    }

    /// A contiguous run of `pageCount` pages in one data file: the least busy file with a
    /// free run (`DiskFileAllocators.nextFile`), else evicting least-recently-used blocks
    /// that no load is reading until one opens in the victim's file; nil when nothing more
    /// can be evicted. An extent longer than a whole data file fails at once: evicting
    /// could never make room, and emptying the tier for a store that cannot succeed would
    /// lose every block for nothing.
    func allocatePages(_ pageCount: Int) -> (file: Int, start: Int)? {
        guard pageCount <= allocator.pagesPerFile else { return nil }
        var tried: UInt64 = 0
        while let file = allocator.nextFile(tried: tried) {
            tried |= 1 << UInt64(file)
            if let start = allocator.files[file].findRun(count: pageCount) {
                allocator.files[file].markUsed(start: start, count: pageCount)
                allocator.lastChosen = file
                return (file, start)
            }
        }
        var candidate = table.leastRecent
        while candidate >= 0 {
            let entry = table.entries[Int(candidate)]
            let next = table.moreRecent(candidate)
            if entry.pinCount == 0 {
                let start = Int(entry.pageIndex)
                let file = Int(entry.fileIndex)
                drop(candidate)
                stats.evictions += 1
                evictionHandler?(entry.key)
                let run = allocator.files[file].freeRun(around: start, wanted: pageCount)
                if run.count >= pageCount {
                    allocator.files[file].markUsed(start: run.start, count: pageCount)
                    allocator.lastChosen = file
                    return (file, run.start)
                }
            }
            candidate = next
        }
        return nil
    }
}
