// Recovery by scan: when a checkpoint slot is corrupt (or none is valid), the index is
// rebuilt from the data file itself — every extent starts on a page with a self-describing,
// CRC-checked record header — the newest sequence of each key winning, every payload CRC
// checked.

extension DiskTier {
    /// Bytes the scan reads per request (records longer than this are read on their own).
    static var scanChunkBytes: Int { 8 << 20 }

    /// Reads the data file front to back and returns every intact record (header valid,
    /// lengths consistent, extent inside the capacity, payload CRC32C matching) as an entry
    /// at its page, in page order, plus the count of valid headers whose payload failed.
    /// A page inside an intact record is never read as a header of its own.
    /// - Throws: `DiskTierError.backend` when a read fails (a scan that skipped unreadable
    ///   pages would silently lose the blocks in them).
    static func scanRecords(
        io: IO, file: IOFileID, fileIndex: Int, capacityBytes: Int, dataFileBytes: Int
    ) throws -> (records: [DiskCheckpointEntry], rejected: Int) {
        let page = DiskLayout.pageBytes
        let totalPages = capacityBytes / page
        let readablePages = min(totalPages, dataFileBytes / page)
        let alignment = max(page, io.requiredAlignment)
        let chunkBytes = Self.scanChunkBytes
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: alignment)
        defer { chunk.deallocate() }
        var records: [DiskCheckpointEntry] = []
        var rejected = 0
        var start = 0
        func read(_ pageIndex: Int, _ pageCount: Int, into buffer: UnsafeMutableRawPointer) throws
            -> Int
        {
            let length = pageCount * page
            let moved = blockingTransfer(
                io: io, kind: .read, file: file, offset: UInt64(pageIndex * page), buffer: buffer,
                length: length)
            guard moved >= 0 else {
                throw DiskTierError(
                    .backend,
                    "reading \(DiskLayout.dataFileName(fileIndex)) at page \(pageIndex) failed (errno \(-moved)) while rebuilding the index by scan: the tier was not opened; check the device and retry"
                )
            }
            return moved / page
        }
        while start < readablePages {
            let wanted = min(chunkBytes / page, readablePages - start)
            let got = try read(start, wanted, into: chunk)
            if got == 0 { break }
            var offset = 0
            while offset < got {
                // A record is taken only in the data file it was written to.
                guard let header = DiskRecordHeader.decode(from: chunk + offset * page),
                    header.fileIndex == fileIndex,
                    let entry = Self.scanEntry(header, pageIndex: start + offset),
                    entry.pageIndex + entry.pageCount <= totalPages
                else {
                    offset += 1
                    continue
                }
                let payloadCRC: UInt32?
                if offset + entry.pageCount <= got {
                    payloadCRC = CRC32C.checksum(
                        UnsafeRawBufferPointer(
                            start: chunk + offset * page + entry.payloadOffset,
                            count: entry.storedLength))
                } else if offset == 0 {
                    // Longer than a chunk: read the whole record on its own.
                    let record = UnsafeMutableRawPointer.allocate(
                        byteCount: entry.pageCount * page, alignment: alignment)
                    defer { record.deallocate() }
                    let recordPages = try read(entry.pageIndex, entry.pageCount, into: record)
                    payloadCRC =
                        recordPages == entry.pageCount
                        ? CRC32C.checksum(
                            UnsafeRawBufferPointer(
                                start: record + entry.payloadOffset,
                                count: entry.storedLength)) : nil
                } else {
                    break  // the next chunk starts at this record
                }
                if payloadCRC == entry.payloadCRC {
                    records.append(entry)
                    offset += entry.pageCount
                } else {
                    rejected += 1
                    offset += 1
                }
            }
            start += max(1, offset)
        }
        return (records, rejected)
    }

    /// The index entry a record header describes at `pageIndex`, or nil when its lengths
    /// are ones no store writes.
    static func scanEntry(_ header: DiskRecordHeader, pageIndex: Int) -> DiskCheckpointEntry? {
        guard header.rawLength > 0, header.rawLength <= DiskTierOptions.blockByteCountLimit,
            header.sequence < DiskCheckpoint.sequenceLimit,
            header.codec == .none
                ? header.storedLength == header.rawLength
                : header.storedLength > 0 && header.storedLength <= header.rawLength,
            !header.separateHeaderPage || header.codec == .none
        else { return nil }
        let pageCount = DiskLayout.recordPageCount(
            storedLength: header.storedLength, separateHeaderPage: header.separateHeaderPage)
        return DiskCheckpointEntry(
            key: header.key, codec: header.codec, pageIndex: pageIndex, pageCount: pageCount,
            rawLength: header.rawLength, storedLength: header.storedLength,
            payloadCRC: header.payloadCRC, sequence: header.sequence,
            separateHeaderPage: header.separateHeaderPage, fileIndex: header.fileIndex)
    }

    /// What the journal's completed batches (in order, as `replayJournal` applies them) say
    /// left the index: per key, the sequence below which its records are out of it — a
    /// removal's batch's next sequence (no record of the key numbered below it was in the
    /// index at that sync), or a put's own sequence (older versions were replaced). A scan
    /// must not bring those records back; records at or above the bound stay candidates.
    static func journalSupersessions(
        _ image: UnsafeRawPointer?, batches: [(offset: Int, batch: DiskJournalBatch)]
    ) -> [BlockKey: UInt64] {
        guard let image else { return [:] }
        var below: [BlockKey: UInt64] = [:]
        for (offset, batch) in batches {
            for index in 0..<batch.removalCount {
                if let key = DiskJournal.removal(index, from: image + offset) {
                    below[key] = batch.nextSequence
                }
            }
            for index in 0..<batch.putCount {
                if let entry = DiskJournal.put(index, of: batch, from: image + offset) {
                    below[entry.key] = entry.sequence
                }
            }
        }
        return below
    }

    /// Builds the index from a scan. Checkpoint entries (in their LRU order) are kept only
    /// when the scan found exactly their record at their page; scanned records newer than
    /// the checkpoint (sequence at or above its next sequence; all of them without one)
    /// follow, oldest first. For a key seen more than once the newest wins. A record
    /// numbered below its key's bound in `superseded` (`journalSupersessions`) is skipped:
    /// a completed sync recorded it out of the index.
    func rebuildIndex(
        scanned: [DiskCheckpointEntry],
        checkpoint: (buffer: UnsafeRawPointer, header: DiskCheckpoint.Header)?,
        superseded: [BlockKey: UInt64] = [:],
        recovery: inout DiskTierRecovery
    ) {
        func isSuperseded(_ entry: DiskCheckpointEntry) -> Bool {
            entry.sequence < superseded[entry.key, default: 0]
        }
        // Records by (data file, page).
        func place(_ entry: DiskCheckpointEntry) -> Int { entry.fileIndex << 32 | entry.pageIndex }
        var byPage: [Int: Int] = [:]
        byPage.reserveCapacity(scanned.count)
        for (index, record) in scanned.enumerated() { byPage[place(record)] = index }
        var used = [Bool](repeating: false, count: scanned.count)
        var ordered: [DiskCheckpointEntry] = []
        ordered.reserveCapacity(scanned.count)
        var firstSequence: UInt64 = 0
        if let (buffer, header) = checkpoint {
            firstSequence = header.nextSequence
            for index in 0..<header.entryCount {
                let entry = DiskCheckpoint.decodeEntry(index: index, from: buffer)
                if let entry, isSuperseded(entry) { continue }
                guard let entry, let found = byPage[place(entry)], !used[found],
                    scanned[found] == entry
                else {
                    recovery.droppedCheckpointEntries += 1
                    continue
                }
                used[found] = true
                ordered.append(entry)
            }
        }
        let newer = scanned.indices.filter {
            !used[$0] && scanned[$0].sequence >= firstSequence && !isSuperseded(scanned[$0])
        }
            .sorted { scanned[$0].sequence < scanned[$1].sequence }
        recovery.recoveredByScan = 0
        let checkpointed = ordered.count
        ordered.append(contentsOf: newer.map { scanned[$0] })
        // Newest first: the first record of a key seen wins; then link oldest first.
        var keep = [Bool](repeating: false, count: ordered.count)
        var seen = Set<BlockKey>()
        seen.reserveCapacity(ordered.count)
        for index in ordered.indices.reversed() where seen.insert(ordered[index].key).inserted {
            keep[index] = true
        }
        table.reserveKeys(ordered.count)
        for (index, entry) in ordered.enumerated() where keep[index] {
            guard entry.rawLength <= blockByteCountMax,
                allocator.files[entry.fileIndex].isFree(
                    start: entry.pageIndex, count: entry.pageCount)
            else { continue }
            Self.insertLive(entry, table: &table, allocator: &allocator)
            if index >= checkpointed { recovery.recoveredByScan += 1 }
        }
    }
}
