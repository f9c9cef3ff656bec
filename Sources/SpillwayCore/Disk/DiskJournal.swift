// The index journal: append-only batches of index changes (removals, then puts in LRU
// order) written by a `sync()` instead of a full checkpoint, replayed on open after the
// checkpoint they extend (docs/DISK_FORMAT.md, "Index journal").

/// One decoded journal batch: its header fields and where its records are.
package struct DiskJournalBatch: Equatable, Sendable {
    /// Format version of the batch (`DiskJournal.version` for one this binary applies).
    package var version: UInt16 = DiskJournal.version
    /// Generation and header CRC of the full checkpoint this batch extends.
    package var baseGeneration: UInt64
    package var baseCRC: UInt32
    /// 1 for the first batch after that checkpoint, then consecutive.
    package var number: UInt64
    /// The tier's next sequence number when the batch was written.
    package var nextSequence: UInt64
    package var removalCount: Int
    package var putCount: Int
    /// Header CRC of the previous batch (0 for the first): a batch only follows the one it
    /// was written after.
    package var previousCRC: UInt32
    package var recordsCRC: UInt32
    /// CRC32C of header bytes 0..<60 (what the next batch chains to).
    package var headerCRC: UInt32

    /// Bytes of the batch on disk (whole pages).
    package var byteCount: Int {
        DiskJournal.byteCount(removalCount: removalCount, putCount: putCount)
    }
}

/// Serialisation of journal batches.
///
/// A batch is whole pages at a page offset of `spillway-journal` (little-endian):
/// ```
///   0 u32 magic 'SPWJ' (0x4A575053)   24 u64 next sequence number
///   4 u16 version (1)                 32 u32 removal count
///   6 u16 reserved                    36 u32 put count
///   8 u64 base checkpoint generation  40 u32 header CRC of the previous batch (0: first)
///  16 u64 batch number (1, 2, ...)    44 u32 CRC32C of the record bytes
///  48 u32 header CRC of the base checkpoint   52 [8] reserved (0)
///  60 u32 CRC32C of bytes 0..<60
/// ```
/// From byte 64: removals (72 bytes each: u8 key length, 7 reserved, 64 key bytes), then
/// puts (96-byte checkpoint entries, least recently used first), zero padded to a page.
/// Worked example: 10,000 removals and 10,000 puts take 64 + 720,000 + 960,000 bytes,
/// 411 pages (1,683,456 bytes) — 1.75% of a 1M-entry checkpoint.
package enum DiskJournal {
    package static let magic: UInt32 = 0x4A57_5053
    package static let version: UInt16 = 1
    package static let headerBytes = 64
    package static let removalBytes = 72

    /// Bytes of a batch with these counts, padded to whole pages.
    package static func byteCount(removalCount: Int, putCount: Int) -> Int {
        DiskLayout.roundUp(
            headerBytes + removalCount * removalBytes + putCount * DiskCheckpoint.entryBytes,
            to: DiskLayout.pageBytes)
    }

    /// Encodes a whole batch into `base` (`byteCount` bytes, zeroed here) and returns its
    /// header CRC.
    @discardableResult
    package static func encode(
        baseGeneration: UInt64, baseCRC: UInt32, number: UInt64, nextSequence: UInt64,
        previousCRC: UInt32, removals: [BlockKey], puts: [DiskCheckpointEntry], into base: UnsafeMutableRawPointer
    ) -> UInt32 {
        let total = byteCount(removalCount: removals.count, putCount: puts.count)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        var at = base + headerBytes
        for key in removals {
            at.storeBytes(of: UInt8(key.count), as: UInt8.self)
            key.withUnsafeBytes { (at + 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            at += removalBytes
        }
        for entry in puts {
            DiskCheckpoint.encodeEntry(entry, at: at)
            at += DiskCheckpoint.entryBytes
        }
        let recordsCRC = CRC32C.checksum(
            UnsafeRawBufferPointer(start: base + headerBytes, count: at - (base + headerBytes)))
        base.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        base.storeBytes(of: version.littleEndian, toByteOffset: 4, as: UInt16.self)
        base.storeBytes(of: baseGeneration.littleEndian, toByteOffset: 8, as: UInt64.self)
        base.storeBytes(of: number.littleEndian, toByteOffset: 16, as: UInt64.self)
        base.storeBytes(of: nextSequence.littleEndian, toByteOffset: 24, as: UInt64.self)
        base.storeBytes(
            of: UInt32(removals.count).littleEndian, toByteOffset: 32, as: UInt32.self)
        base.storeBytes(of: UInt32(puts.count).littleEndian, toByteOffset: 36, as: UInt32.self)
        base.storeBytes(of: previousCRC.littleEndian, toByteOffset: 40, as: UInt32.self)
        base.storeBytes(of: recordsCRC.littleEndian, toByteOffset: 44, as: UInt32.self)
        base.storeBytes(of: baseCRC.littleEndian, toByteOffset: 48, as: UInt32.self)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: 60))
        base.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
        return crc
    }

    /// What is found at one offset of the journal.
    package enum Found: Equatable, Sendable {
        /// A batch whose header and records check out.
        case batch(DiskJournalBatch)
        /// No batch here: zeros, another format, or a valid header of another journal
        /// (older base generation, another number, another chain): the journal ends.
        case end
        /// The expected header (its CRC, base, number and link check out) with records
        /// that fail their CRC or run past the file: a batch whose write did not complete
        /// (a power cut before the sync's fdatasync of the journal) — or, when valid
        /// batches follow it, damage (`scan` tells the two apart).
        case incomplete(DiskJournalBatch)
        /// The magic with a failing header CRC. A torn write cannot produce it (the 64-byte
        /// header lies in the page's first sector, written whole or not at all), so it is
        /// corruption: never silent, the open recovers by scan.
        case damaged
    }

    /// Decodes the batch at `base` (`available` readable bytes from there) that should be
    /// number `number` after the checkpoint (`baseGeneration`, `baseCRC`), chained to
    /// `previousCRC`.
    package static func decode(
        from base: UnsafeRawPointer, available: Int, baseGeneration: UInt64, baseCRC: UInt32,
        number: UInt64, previousCRC: UInt32
    ) -> Found {
        guard available >= headerBytes else { return .end }
        guard let batch = header(at: base) else {
            return u32(base, 0) == magic ? .damaged : .end
        }
        guard batch.version == version,
            batch.baseGeneration == baseGeneration, batch.baseCRC == baseCRC,
            batch.number == number, batch.previousCRC == previousCRC
        else { return .end }
        guard batch.nextSequence < DiskCheckpoint.sequenceLimit,
            batch.removalCount <= Int(Int32.max), batch.putCount <= Int(Int32.max)
        else { return .damaged }
        guard batch.byteCount <= available else { return .incomplete(batch) }
        let recordBytes =
            batch.removalCount * removalBytes + batch.putCount * DiskCheckpoint.entryBytes
        guard
            CRC32C.checksum(UnsafeRawBufferPointer(start: base + headerBytes, count: recordBytes))
                == batch.recordsCRC
        else { return .incomplete(batch) }
        return .batch(batch)
    }

    private static func u32(_ base: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// The header at `base` (at least `headerBytes` readable) when it has the magic and a
    /// valid header CRC; nil otherwise. Its version and records are not checked.
    static func header(at base: UnsafeRawPointer) -> DiskJournalBatch? {
        func u64(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        guard u32(base, 0) == magic else { return nil }
        let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: 60))
        guard headerCRC == u32(base, 60) else { return nil }
        return DiskJournalBatch(
            version: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)),
            baseGeneration: u64(8), baseCRC: u32(base, 48), number: u64(16),
            nextSequence: u64(24), removalCount: Int(u32(base, 32)),
            putCount: Int(u32(base, 36)), previousCRC: u32(base, 40),
            recordsCRC: u32(base, 44), headerCRC: headerCRC)
    }

    /// Whether the page at `page` may start a batch after checkpoint (`generation`, `crc`):
    /// it has the magic and names that checkpoint, or its header CRC fails (damage, which
    /// `scan` then reports). False for anything else: no journal for that checkpoint.
    package static func mayExtend(_ generation: UInt64, _ crc: UInt32, page: UnsafeRawPointer)
        -> Bool
    {
        guard u32(page, 0) == magic else { return false }
        guard let batch = header(at: page) else { return true }
        return batch.baseGeneration == generation && batch.baseCRC == crc
    }

    /// Removal `index` of a decoded batch at `base`; nil when its key is invalid.
    package static func removal(_ index: Int, from base: UnsafeRawPointer) -> BlockKey? {
        let at = base + headerBytes + index * removalBytes
        let length = Int(at.load(as: UInt8.self))
        guard length >= 1, length <= BlockKey.maxByteCount else { return nil }
        return BlockKey(bytes: UnsafeRawBufferPointer(start: at + 8, count: length))
    }

    /// Put `index` of a decoded batch at `base`; nil when a field is invalid.
    package static func put(_ index: Int, of batch: DiskJournalBatch, from base: UnsafeRawPointer)
        -> DiskCheckpointEntry?
    {
        DiskCheckpoint.decodeEntry(
            at: base + headerBytes + batch.removalCount * removalBytes + index
                * DiskCheckpoint.entryBytes)
    }

    /// Walks the journal image `base` (`count` bytes) from offset 0 for batches extending
    /// the checkpoint (`baseGeneration`, `baseCRC`): the consecutive valid batches with
    /// their offsets, then how the chain ended.
    ///
    /// - `incompleteTail`: the batch after the last valid one has the expected header but
    ///   not its records, and no batch of this chain follows it anywhere in the file: the
    ///   last sync was cut before its journal fdatasync completed. Its changes were never
    ///   promised; the valid batches are the last completed sync.
    /// - `damaged`: a header with a failing CRC where a batch was expected, or anything
    ///   but the true end followed by a valid later batch of this chain (a bad batch with
    ///   completed syncs after it, or a middle batch whose magic was destroyed).
    /// - `uncommittedNextSequence`: with `incompleteTail`, the cut batch's `nextSequence`
    ///   (its header is valid): records up to it may be durable in the data file, so the
    ///   tier must not hand those sequence numbers out again. 0 otherwise.
    package static func scan(
        _ base: UnsafeRawPointer, count: Int, baseGeneration: UInt64, baseCRC: UInt32
    )
        -> (
            batches: [(offset: Int, batch: DiskJournalBatch)], damaged: Bool, incompleteTail: Bool,
            uncommittedNextSequence: UInt64
        )
    {
        var batches: [(offset: Int, batch: DiskJournalBatch)] = []
        var offset = 0
        var previousCRC: UInt32 = 0
        while offset < count {
            let number = UInt64(batches.count + 1)
            switch decode(
                from: base + offset, available: count - offset, baseGeneration: baseGeneration,
                baseCRC: baseCRC, number: number, previousCRC: previousCRC)
            {
            case .batch(let batch):
                batches.append((offset, batch))
                offset += batch.byteCount
                previousCRC = batch.headerCRC
            case .end:
                let later = laterBatchExists(
                    base, count: count, from: offset, baseGeneration: baseGeneration,
                    baseCRC: baseCRC, after: number - 1)
                return (batches, later, false, 0)
            case .incomplete(let cut):
                let later = laterBatchExists(
                    base, count: count, from: offset + DiskLayout.pageBytes,
                    baseGeneration: baseGeneration, baseCRC: baseCRC, after: number - 1)
                return (batches, later, !later, later ? 0 : cut.nextSequence)
            case .damaged: return (batches, true, false, 0)
            }
        }
        return (batches, false, false, 0)
    }

    /// Whether a page at or after `from` holds a valid header of this chain numbered after
    /// `number`: the batches before it were not the end. (Batches of one checkpoint are only
    /// ever appended, so none lies past the true end; older checkpoints' batches name
    /// another base.)
    static func laterBatchExists(
        _ base: UnsafeRawPointer, count: Int, from: Int, baseGeneration: UInt64,
        baseCRC: UInt32, after number: UInt64
    ) -> Bool {
        let page = DiskLayout.pageBytes
        var offset = DiskLayout.roundUp(max(0, from), to: page)
        while offset + headerBytes <= count {
            if let batch = header(at: base + offset), batch.baseGeneration == baseGeneration,
                batch.baseCRC == baseCRC, batch.number > number
            {
                return true
            }
            offset += page
        }
        return false
    }
}
