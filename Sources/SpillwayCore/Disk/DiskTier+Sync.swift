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
    ///   A backend that refuses to submit the data-file fdatasyncs or fails waiting for them
    ///   leaves their outcome unknown: no latch; the next `sync()` waits for them (and
    ///   refuses if one of them failed) before its own.
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
        try refuseAfterDataSyncFailure()
        while inFlightJobCount > 0 { try pump(minimum: 1) }
        // A failed sync's fdatasyncs still out carry this sync's tags, and one reporting an
        // error means the kernel may have dropped dirty pages this sync would then claim:
        // wait for them. None counts for this sync (it may have run before stores that
        // completed since), which issues its own below.
        if dataSyncsInFlight > 0 { needsSubmit = true }
        while dataSyncsInFlight > 0 { try pump(minimum: 1) }
        try refuseAfterDataSyncFailure()
        let synced = try syncDataFiles()
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

    /// Throws once a data-file fdatasync failed (`dataSyncErrno`): no later sync may
    /// promise durability.
    func refuseAfterDataSyncFailure() throws {
        guard let errno = dataSyncErrno else { return }
        throw DiskTierError(
            .syncFailed,
            "an earlier fdatasync of the data file failed (errno \(errno)): blocks stored since the last durable checkpoint may be lost, so no later sync can promise them; reopen the tier to recover that checkpoint"
        )
    }

    /// The user data of data file `index`'s fdatasync: from the top of the range (below the
    /// blocking transfers' `UInt64.max`), never a job index, so a sync left in flight by a
    /// failure cannot complete as someone's job.
    static func dataSyncTag(_ index: Int) -> UInt64 { UInt64.max - 1 - UInt64(index) }

    /// The data file whose fdatasync `userData` tags, nil for a job's or a blocking
    /// transfer's request.
    func dataSyncIndex(_ userData: UInt64) -> Int? {
        guard userData != UInt64.max, userData >= UInt64.max - UInt64(dataFiles.count) else {
            return nil
        }
        return Int(UInt64.max - 1 - userData)
    }

    /// A failed sync's data-file fdatasync completing in the job loop: that sync already
    /// threw, so it is counted and dropped; an error it reports is a data-file fdatasync
    /// failure like any (`dataSyncErrno`; EINTR/EAGAIN ran nothing).
    func discardDataSync(_ completion: IOCompletion) {
        precondition(
            dataSyncsInFlight > 0,
            "a data file sync's completion with none in flight (userData \(completion.userData))")
        dataSyncsInFlight -= 1
        stats.discardedSyncCompletions += 1
        let code = completion.result
        if code < 0, code != -4, code != -11, dataSyncErrno == nil { dataSyncErrno = -code }
    }

    /// Whether a new job fits beside a failed sync's fdatasyncs still out (`dataSyncsInFlight`):
    /// they hold queue entries until reaped, and every job may have a request outstanding,
    /// so a job is admitted only while jobs and those fdatasyncs stay within the queue depth.
    /// When they would not, reaps (waiting for one completion at a time: the fdatasyncs are
    /// in the device, or prepared and submitted by the pump) until a job fits. False, with
    /// nothing taken, when the backend fails meanwhile (the next poll or wait reports it).
    func roomBesideStraySyncs() -> Bool {
        while dataSyncsInFlight > 0, !freeJobs.isEmpty,
            inFlightJobCount + dataSyncsInFlight >= io.queueDepth
        {
            do { try pump(minimum: 1) } catch { return false }
        }
        return true
    }

    /// fdatasync of every data file (a striped tier's blocks are in all of them), up to the
    /// queue depth in flight at once so each device flushes meanwhile; an interrupted one
    /// (EINTR/EAGAIN) is retried, bounded. Returns 0, or a failure's negative errno. Only
    /// while no job and no earlier data-file sync is in flight.
    /// - Throws: `DiskTierError.syncFailed` when the backend refuses the submit or fails the
    ///   reap: the outcome is unknown, the requests stay counted in `dataSyncsInFlight` (the
    ///   job loop discards their completions) and a later sync may retry.
    func syncDataFiles() throws -> Int {
        precondition(dataSyncsInFlight == 0, "data file syncs with other syncs in flight")
        var pending = Array(dataFiles.indices)
        var attempts = [Int](repeating: 0, count: dataFiles.count)
        var completions: [IOCompletion] = []
        var result = 0
        while !pending.isEmpty, result == 0 {
            let window = pending.prefix(io.queueDepth)
            for index in window {
                let accepted = io.prepare(.sync(dataFiles[index], userData: Self.dataSyncTag(index)))
                precondition(accepted, "backend refused a sync below its queue depth")
            }
            pending.removeFirst(window.count)
            dataSyncsInFlight += window.count
            var failure: (any Error)?
            for _ in 0..<64 {
                do {
                    try io.submit()
                    failure = nil
                    break
                } catch { failure = error }
            }
            if let failure {
                // Still prepared: the next pump submits them.
                needsSubmit = true
                throw DiskTierError(
                    .syncFailed,
                    "submitting the data files' fdatasyncs failed 64 times (\(failure)): nothing new is durable; a later sync retries")
            }
            completions.removeAll(keepingCapacity: true)
            // A reap that fails may have handed over some completions first: they are
            // checked like any (an EIO among them is this sync's failure, fsyncgate); the
            // rest stay out, counted.
            var reapFailure: (any Error)?
            do { try io.reap(into: &completions, minimum: window.count) } catch { reapFailure = error }
            for completion in completions {
                guard let index = dataSyncIndex(completion.userData) else {
                    preconditionFailure("data file syncs with other requests in flight")
                }
                dataSyncsInFlight -= 1
                let code = Int(completion.result)
                if code == -4 || code == -11, attempts[index] < Self.attemptCountMax {
                    attempts[index] += 1
                    pending.append(index)
                } else if code < 0, result == 0 {
                    result = code
                }
            }
            if let reapFailure, result == 0 {
                throw DiskTierError(
                    .syncFailed,
                    "waiting for the data files' fdatasyncs failed (\(reapFailure)): nothing new is durable; a later sync retries")
            }
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
