// The durability point of the disk tier: sync (data fdatasync, then a journal batch or an
// A/B checkpoint) and close.

extension DiskTier {
    /// Makes every completed store durable.
    ///
    /// Steps: wait for all jobs in flight (their completions stay queued for `poll`/`wait`),
    /// fdatasync the data file, then record the index: append a journal batch of the
    /// changes since the last sync (removals, then entries stored or touched since, least
    /// recently used first) and fdatasync the journal — or, when the journal would grow
    /// past `journalCompactionFraction` of the index, write a full checkpoint listing every
    /// readable block to the older checkpoint slot, fdatasync it, and start the journal
    /// afresh. A crash at any step leaves the previous durability point valid: the new
    /// batch or checkpoint is either complete with valid CRCs or rejected on open.
    /// - Throws: `DiskTierError.syncFailed` when a step fails; nothing new is durable then
    ///   (the previous durability point still holds). A failed checkpoint write may be
    ///   retried by a later `sync()`; a failed fdatasync of the data file may not (Linux can
    ///   drop the dirty pages and report success on the retry), so after one every later
    ///   `sync()` throws until the tier is reopened, which recovers the last good checkpoint.
    public func sync() throws {
        try sync(compact: false)
    }

    /// `sync()`; with `compact`, the index goes into a full checkpoint (when the journal
    /// holds anything), so the next open reads the checkpoint alone.
    func sync(compact: Bool) throws {
        precondition(!isClosed, "sync on a closed disk tier")
        if isReadOnly {
            throw DiskTierError(
                .syncFailed, "the tier was opened read-only: nothing can be made durable; open it for writing")
        }
        if let errno = dataSyncErrno {
            throw DiskTierError(
                .syncFailed,
                "an earlier fdatasync of the data file failed (errno \(errno)): blocks stored since the last durable checkpoint may be lost, so no later sync can promise them; reopen the tier to recover that checkpoint"
            )
        }
        while inFlightJobCount > 0 { try pump(minimum: 1) }
        let synced = syncDataFiles()
        guard synced == 0 else {
            dataSyncErrno = Int32(truncatingIfNeeded: -synced)
            throw DiskTierError(
                .syncFailed,
                "fdatasync of the data file failed (errno \(-synced)): blocks stored since the last sync are not durable and later syncs will refuse; check the device, then reopen the tier"
            )
        }
        let journalEmpty =
            journal.endOffset == 0 && journal.removals.isEmpty && journal.changedLiveCount == 0
            && journal.fullCheckpointsPending == 0 && journal.baseGeneration == checkpointGeneration
        if compact ? journalEmpty && checkpointGeneration > 0 : false {
            // Nothing since the last full checkpoint: it is the compact index already.
        } else if !compact && journalBatchFits {
            try writeJournalBatch()
        } else {
            try writeCheckpoint()
        }
        stats.syncs += 1
    }

    /// fdatasync of every data file (a striped tier's blocks are in all of them), all in
    /// flight at once so each device flushes meanwhile. Returns 0, or a failure's negative
    /// errno. Only while no job is in flight.
    func syncDataFiles() -> Int {
        func one(_ file: IOFileID) -> Int {
            Self.blockingTransfer(io: io, kind: .sync, file: file, offset: 0, buffer: nil, length: 0)
        }
        guard dataFiles.count > 1, dataFiles.count <= io.queueDepth else {
            var result = 0
            for file in dataFiles where result == 0 { result = one(file) }
            return result
        }
        // User data from the top of the range, as `blockingTransfer`'s: never a job index,
        // so a sync left in flight by a failure below cannot complete as someone's job.
        func tag(_ index: Int) -> UInt64 { UInt64.max - 1 - UInt64(index) }
        for (index, file) in dataFiles.enumerated() {
            let accepted = io.prepare(.sync(file, userData: tag(index)))
            precondition(accepted, "backend refused a sync below its queue depth")
        }
        var submitted = false
        for _ in 0..<64 where !submitted { submitted = (try? io.submit()) != nil }
        guard submitted else { return -5 }
        var completions: [IOCompletion] = []
        do { try io.reap(into: &completions, minimum: dataFiles.count) } catch { return -5 }
        precondition(completions.count == dataFiles.count, "data file syncs with other requests in flight")
        var result = 0
        for completion in completions where result == 0 {
            let code = Int(completion.result)
            // Interrupted: retried on its own (bounded there).
            let index = Int(UInt64.max - 1 - completion.userData)
            precondition(dataFiles.indices.contains(index), "a data file sync's completion has another request's user data")
            result = code == -4 || code == -11 ? one(dataFiles[index]) : code
        }
        return result
    }

    /// Writes a full checkpoint (generation g+1, every live block least recently used
    /// first) to the older slot, fdatasyncs it, and starts an empty journal after it.
    func writeCheckpoint() throws {
        // Change flags are cleared while encoding: until this checkpoint is durable, every
        // sync must write a full one.
        journal.fullCheckpointsPending = max(journal.fullCheckpointsPending, 1)
        journal.changedLiveCount = 0
        journal.removals.removeAll(keepingCapacity: true)
        let entryCount = table.liveCount
        let total = DiskCheckpoint.byteCount(entryCount: entryCount)
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: total, alignment: max(DiskLayout.pageBytes, alignment))
        defer { buffer.deallocate() }
        var slot = table.leastRecent
        var index = 0
        while slot >= 0 {
            let entry = table.entries[Int(slot)]
            DiskCheckpoint.encodeEntry(Self.checkpointEntry(entry), index: index, into: buffer)
            table.entries[Int(slot)].changedSinceSync = false
            index += 1
            slot = table.moreRecent(slot)
        }
        precondition(index == entryCount, "LRU list length \(index) != live count \(entryCount)")
        let tailStart = DiskCheckpoint.headerBytes + entryCount * DiskCheckpoint.entryBytes
        (buffer + tailStart).initializeMemory(
            as: UInt8.self, repeating: 0, count: total - tailStart)
        let generation = checkpointGeneration + 1
        let headerCRC = DiskCheckpoint.encodeHeader(
            generation: generation, dataFileBytes: bytesPerDataFile, nextSequence: nextSequence,
            entryCount: entryCount, blockByteCountMax: blockByteCountMax,
            dataFileCount: dataFileCount, into: buffer)
        try writeDurably(
            file: checkpointFiles[Int(generation & 1)], offset: 0, buffer: buffer, length: total,
            what: "the checkpoint")
        checkpointGeneration = generation
        journal.restart(after: generation, crc: headerCRC)
        journal.fullCheckpointsPending -= 1
        stats.fullCheckpoints += 1
        stats.indexBytesWritten += total
    }

    /// Sizes `file` to hold `length` bytes at `offset`, writes them there and fdatasyncs it
    /// (a checkpoint slot or the journal).
    /// - Throws: `DiskTierError.syncFailed` naming the step and `what`; a retry may succeed.
    func writeDurably(
        file: IOFileID, offset: Int, buffer: UnsafeMutableRawPointer, length: Int, what: String
    ) throws {
        do { try io.reserve(file, size: UInt64(offset + length)) } catch {
            throw DiskTierError(
                .syncFailed,
                "cannot size \(what) to \(offset + length) bytes: \(error); free space on the device")
        }
        let written = Self.blockingTransfer(
            io: io, kind: .write, file: file, offset: UInt64(offset), buffer: buffer,
            length: length)
        guard written == length else {
            throw DiskTierError(
                .syncFailed,
                "writing \(what) failed (result \(written) of \(length) bytes): blocks stored since the last sync are not durable; retry"
            )
        }
        let synced = Self.blockingTransfer(
            io: io, kind: .sync, file: file, offset: 0, buffer: nil, length: 0)
        guard synced == 0 else {
            throw DiskTierError(.syncFailed, "fdatasync of \(what) failed (errno \(-synced)); retry")
        }
    }

    /// Syncs into a full checkpoint (compacting the journal, so the next open reads one
    /// file), then releases files and buffers. The tier cannot be used afterwards.
    /// Completions not yet taken are discarded.
    public func close() throws {
        guard !isClosed else { return }
        if !isReadOnly { try sync(compact: true) }
        releaseResources()
    }
}
