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

    /// Builds the index from a scan. Checkpoint entries (in their LRU order) are kept only
    /// when the scan found exactly their record at their page; scanned records newer than
    /// the checkpoint (sequence at or above its next sequence; all of them without one)
    /// follow, oldest first. For a key seen more than once the newest wins.
    func rebuildIndex(
        scanned: [DiskCheckpointEntry],
        checkpoint: (buffer: UnsafeRawPointer, header: DiskCheckpoint.Header)?,
        recovery: inout DiskTierRecovery
    ) {
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
                guard let entry = DiskCheckpoint.decodeEntry(index: index, from: buffer),
                    let found = byPage[place(entry)], !used[found],
                    scanned[found] == entry
                else {
                    recovery.droppedCheckpointEntries += 1
                    continue
                }
                used[found] = true
                ordered.append(entry)
            }
        }
        let newer = scanned.indices.filter { !used[$0] && scanned[$0].sequence >= firstSequence }
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
