// The durability point of the disk tier: sync (data fdatasync, then an A/B checkpoint) and
// close.

extension DiskTier {
    /// Makes every completed store durable.
    ///
    /// Steps: wait for all jobs in flight (their completions stay queued for `poll`/`wait`),
    /// fdatasync the data file, write a checkpoint listing every readable block (least
    /// recently used first) to the older checkpoint slot, fdatasync that slot. A crash at
    /// any step leaves the previous checkpoint valid: the new one is either complete with
    /// valid CRCs or rejected on open.
    /// - Throws: `DiskTierError.syncFailed` when a step fails; nothing new is durable then
    ///   (the previous durability point still holds). A failed checkpoint write may be
    ///   retried by a later `sync()`; a failed fdatasync of the data file may not (Linux can
    ///   drop the dirty pages and report success on the retry), so after one every later
    ///   `sync()` throws until the tier is reopened, which recovers the last good checkpoint.
    public func sync() throws {
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
        let synced = Self.blockingTransfer(
            io: io, kind: .sync, file: dataFile, offset: 0, buffer: nil, length: 0)
        guard synced == 0 else {
            dataSyncErrno = Int32(truncatingIfNeeded: -synced)
            throw DiskTierError(
                .syncFailed,
                "fdatasync of the data file failed (errno \(-synced)): blocks stored since the last sync are not durable and later syncs will refuse; check the device, then reopen the tier"
            )
        }
        let entryCount = table.liveCount
        let total = DiskCheckpoint.byteCount(entryCount: entryCount)
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: total, alignment: max(DiskLayout.pageBytes, alignment))
        defer { buffer.deallocate() }
        var slot = table.leastRecent
        var index = 0
        while slot >= 0 {
            let entry = table.entries[Int(slot)]
            DiskCheckpoint.encodeEntry(
                DiskCheckpointEntry(
                    key: entry.key, codec: entry.codec, pageIndex: Int(entry.pageIndex),
                    pageCount: Int(entry.pageCount), rawLength: Int(entry.rawLength),
                    storedLength: Int(entry.storedLength), payloadCRC: entry.payloadCRC,
                    sequence: entry.sequence, separateHeaderPage: entry.separateHeaderPage),
                index: index, into: buffer)
            index += 1
            slot = table.moreRecent(slot)
        }
        precondition(index == entryCount, "LRU list length \(index) != live count \(entryCount)")
        let tailStart = DiskCheckpoint.headerBytes + entryCount * DiskCheckpoint.entryBytes
        (buffer + tailStart).initializeMemory(
            as: UInt8.self, repeating: 0, count: total - tailStart)
        let generation = checkpointGeneration + 1
        DiskCheckpoint.encodeHeader(
            generation: generation, dataFileBytes: capacityBytes, nextSequence: nextSequence,
            entryCount: entryCount, blockByteCountMax: blockByteCountMax, into: buffer)
        let file = checkpointFiles[Int(generation & 1)]
        do { try io.reserve(file, size: UInt64(total)) } catch {
            throw DiskTierError(
                .syncFailed,
                "cannot size the checkpoint file to \(total) bytes: \(error); free space on the device"
            )
        }
        let written = Self.blockingTransfer(
            io: io, kind: .write, file: file, offset: 0, buffer: buffer, length: total)
        guard written == total else {
            throw DiskTierError(
                .syncFailed,
                "writing the checkpoint failed (result \(written) of \(total) bytes): blocks stored since the last sync are not durable; retry"
            )
        }
        let indexSynced = Self.blockingTransfer(
            io: io, kind: .sync, file: file, offset: 0, buffer: nil, length: 0)
        guard indexSynced == 0 else {
            throw DiskTierError(
                .syncFailed, "fdatasync of the checkpoint failed (errno \(-indexSynced)); retry")
        }
        checkpointGeneration = generation
        stats.syncs += 1
    }

    /// Syncs, then releases files and buffers. The tier cannot be used afterwards.
    /// Completions not yet taken are discarded.
    public func close() throws {
        guard !isClosed else { return }
        if !isReadOnly { try sync() }
        releaseResources()
    }
}
