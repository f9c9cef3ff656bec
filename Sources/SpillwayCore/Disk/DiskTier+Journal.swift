// The index journal of the disk tier: change tracking between syncs, appending a batch at
// a sync (instead of a full checkpoint) and replaying the batches on open.

extension DiskTier {
    /// A sync writes a full checkpoint instead of a journal batch once the journal would
    /// exceed this fraction of the full checkpoint's bytes (default 0.125: a reopen reads at
    /// most 12.5% more than the checkpoint), or `journalBytesMin`, whichever is larger.
    package var journalCompactionFraction: Double {
        get { journal.compactionFraction }
        set { journal.compactionFraction = max(0, newValue) }
    }

    /// Journal bytes always allowed before compaction (default 1 MiB), so small tiers still
    /// journal.
    package var journalBytesMin: Int {
        get { journal.byteCountMin }
        set { journal.byteCountMin = max(0, newValue) }
    }

    /// Records that `slot` was just linked at the most-recent end (stored or touched).
    func noteLinked(_ slot: Int32) {
        if !table.entries[Int(slot)].changedSinceSync {
            table.entries[Int(slot)].changedSinceSync = true
            journal.changedLiveCount += 1
        }
    }

    /// Records that a live entry left the index (removed, evicted, replaced, failed a load).
    /// Once the removals alone would not fit the journal, the next sync is a full
    /// checkpoint anyway: they are dropped, so a tier that is rarely synced keeps no list
    /// growing with every eviction.
    func noteUnlinked(_ entry: DiskEntry) {
        if entry.changedSinceSync { journal.changedLiveCount -= 1 }
        guard journal.fullCheckpointsPending == 0 else { return }
        journal.removals.append(entry.key)
        if journal.removals.count * DiskJournal.removalBytes > journalLimit {
            journal.fullCheckpointsPending = 1
            journal.removals = []
        }
    }

    /// Bytes the journal may hold before a sync compacts it.
    var journalLimit: Int {
        max(
            journal.byteCountMin,
            Int(Double(DiskCheckpoint.byteCount(entryCount: table.liveCount)) * journal.compactionFraction))
    }

    /// The checkpoint form of an index entry.
    static func checkpointEntry(_ entry: DiskEntry) -> DiskCheckpointEntry {
        DiskCheckpointEntry(
            key: entry.key, codec: entry.codec, pageIndex: Int(entry.pageIndex),
            pageCount: Int(entry.pageCount), rawLength: Int(entry.rawLength),
            storedLength: Int(entry.storedLength), payloadCRC: entry.payloadCRC,
            sequence: entry.sequence, separateHeaderPage: entry.separateHeaderPage,
            fileIndex: Int(entry.fileIndex))
    }

    /// Whether this sync may append a journal batch of the changes instead of writing a
    /// full checkpoint.
    var journalBatchFits: Bool {
        guard journal.file != nil, checkpointGeneration > 0,
            journal.baseGeneration == checkpointGeneration, journal.fullCheckpointsPending == 0
        else { return false }
        let batch = DiskJournal.byteCount(
            removalCount: journal.removals.count, putCount: journal.changedLiveCount)
        return journal.endOffset + batch <= journalLimit
            && batch < DiskCheckpoint.byteCount(entryCount: table.liveCount)
    }

    /// Appends one batch (removals since the last sync, then the changed live entries least
    /// recently used first) at the journal's end and fdatasyncs it. Nothing is written when
    /// nothing changed. The changes stay pending when a step fails.
    func writeJournalBatch() throws {
        guard let file = journal.file else { return }
        let removals = journal.removals
        guard !removals.isEmpty || journal.changedLiveCount > 0 else { return }
        // The changed entries are the most recent ones: every one was linked at the
        // most-recent end since the last sync, and no other entry moved since.
        var slots: [Int32] = []
        slots.reserveCapacity(journal.changedLiveCount)
        var slot = table.mostRecent
        for _ in 0..<journal.changedLiveCount {
            precondition(
                slot >= 0 && table.entries[Int(slot)].changedSinceSync,
                "a changed entry is not at the most-recent end")
            slots.append(slot)
            slot = table.lessRecent(slot)
        }
        precondition(
            slot < 0 || !table.entries[Int(slot)].changedSinceSync, "more changed entries than counted")
        let puts = slots.reversed().map { Self.checkpointEntry(table.entries[Int($0)]) }
        let total = DiskJournal.byteCount(removalCount: removals.count, putCount: puts.count)
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: total, alignment: max(DiskLayout.pageBytes, alignment))
        defer { buffer.deallocate() }
        let crc = DiskJournal.encode(
            baseGeneration: journal.baseGeneration, baseCRC: journal.baseCRC, number: journal.nextBatch,
            nextSequence: nextSequence, previousCRC: journal.previousCRC, removals: removals,
            puts: puts, into: buffer)
        let offset = journal.endOffset
        try writeDurably(
            file: file, offset: offset, buffer: buffer, length: total, what: "the index journal")
        for slot in slots { table.entries[Int(slot)].changedSinceSync = false }
        journal.changedLiveCount = 0
        journal.removals.removeAll(keepingCapacity: true)
        journal.endOffset = offset + total
        journal.nextBatch += 1
        journal.previousCRC = crc
        stats.journalBatches += 1
        stats.indexBytesWritten += total
    }

    /// Zeroes the journal's first page (when the file has one) and fdatasyncs it, right
    /// after a full checkpoint restarted the journal: whatever the old first page held (a
    /// damaged header is taken as damage of any checkpoint's journal) is gone, so the next
    /// open reads the checkpoint alone. Used after a recovery by scan.
    func resetJournal() throws {
        guard let file = journal.file, journal.endOffset == 0 else { return }
        let size: UInt64
        do { size = try io.fileSize(file) } catch {
            throw DiskTierError(.syncFailed, "cannot stat \(DiskLayout.journalFileName): \(error)")
        }
        guard size > 0 else { return }
        let page = DiskLayout.pageBytes
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: page, alignment: max(page, alignment))
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: page)
        try writeDurably(
            file: file, offset: 0, buffer: buffer, length: page, what: "the index journal")
        stats.indexBytesWritten += page
    }

    /// Reads the journal into an aligned buffer: its first page, and the whole file only
    /// when that page may start a batch of checkpoint `base` (the magic, and that base or a
    /// header CRC that fails). Nil when absent, empty, or left over from an older
    /// checkpoint (after a compaction the file keeps its old batches until overwritten).
    /// - Throws: `DiskTierError.backend` when a read fails (ignoring the journal would
    ///   roll the tier back past completed syncs).
    static func readJournal(io: IO, file: IOFileID, base: DiskCheckpoint.Header) throws -> (
        buffer: UnsafeMutableRawPointer, count: Int
    )? {
        let size: UInt64
        do { size = try io.fileSize(file) } catch {
            throw DiskTierError(.backend, "cannot stat \(DiskLayout.journalFileName): \(error)")
        }
        let page = DiskLayout.pageBytes
        let count = Int(size) / page * page
        guard count > 0 else { return nil }
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: count, alignment: max(page, io.requiredAlignment))
        var read = 0
        for wanted in [page, count] where read < wanted {
            let moved = blockingTransfer(
                io: io, kind: .read, file: file, offset: UInt64(read), buffer: buffer + read,
                length: wanted - read)
            guard moved == wanted - read else {
                buffer.deallocate()
                throw checkpointReadError(
                    name: DiskLayout.journalFileName, result: moved, wanted: wanted - read)
            }
            read = wanted
            if read == page, !DiskJournal.mayExtend(base.generation, base.headerCRC, page: buffer) {
                buffer.deallocate()
                return nil
            }
        }
        return (buffer, count)
    }

    /// Applies journal batches (already checked by `DiskJournal.scan`) on top of the index
    /// loaded from their base checkpoint, and positions the journal after the last one.
    /// Per batch: every removed or put key leaves the index first (freeing its pages), then
    /// the puts are linked most recent, in order, so recency is the one the batch recorded.
    /// Invalid puts are dropped and counted; the next sync then writes a full checkpoint.
    func replayJournal(
        _ image: UnsafeRawPointer, batches: [(offset: Int, batch: DiskJournalBatch)],
        base: DiskCheckpoint.Header
    ) {
        journal.restart(after: base.generation, crc: base.headerCRC)
        let pending = journal.fullCheckpointsPending
        var dropped = 0
        for (offset, batch) in batches {
            let base = image + offset
            func leave(_ key: BlockKey) {
                if let slot = table.lookup(key) { drop(slot) }
            }
            for index in 0..<batch.removalCount {
                if let key = DiskJournal.removal(index, from: base) { leave(key) } else { dropped += 1 }
            }
            var puts: [DiskCheckpointEntry] = []
            puts.reserveCapacity(batch.putCount)
            for index in 0..<batch.putCount {
                if let entry = DiskJournal.put(index, of: batch, from: base) {
                    leave(entry.key)
                    puts.append(entry)
                } else {
                    dropped += 1
                }
            }
            for entry in puts {
                guard
                    Self.acceptable(
                        entry, allocator: allocator, blockByteCountMax: blockByteCountMax,
                        nextSequence: batch.nextSequence),
                    table.lookup(entry.key) == nil
                else {
                    dropped += 1
                    continue
                }
                Self.insertLive(entry, table: &table, allocator: &allocator)
            }
            nextSequence = max(nextSequence, batch.nextSequence)
            journal.endOffset = offset + batch.byteCount
            journal.nextBatch = batch.number + 1
            journal.previousCRC = batch.headerCRC
        }
        // The replay's own drops are not changes to record: the index now is the durable one.
        journal.removals.removeAll()
        journal.changedLiveCount = 0
        journal.fullCheckpointsPending = pending
        if dropped > 0 {
            stats.recoveryDroppedEntries += dropped
            journal.fullCheckpointsPending = max(pending, 1)
        }
    }
}
