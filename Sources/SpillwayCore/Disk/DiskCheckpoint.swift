// The index checkpoint: the list of live extents written at every durability point, in
// A/B slots so a torn checkpoint falls back to the previous one.

/// One live block in a checkpoint.
package struct DiskCheckpointEntry: Equatable, Sendable {
    package var key: BlockKey
    package var codec: DiskCodec
    package var pageIndex: Int
    package var pageCount: Int
    package var rawLength: Int
    package var storedLength: Int
    package var payloadCRC: UInt32
    package var sequence: UInt64
    /// Zero-copy record layout: the payload starts at the extent's second page.
    package var separateHeaderPage = false
    /// The data file holding the extent (0: the home's; only version-3 checkpoints name
    /// another).
    package var fileIndex = 0

    /// Where the payload starts inside the extent.
    package var payloadOffset: Int {
        separateHeaderPage ? DiskLayout.pageBytes : DiskRecordHeader.byteCount
    }
}

/// Serialisation of a checkpoint.
///
/// Layout (little-endian). Page 0 is the header:
/// ```
///   0 u32 magic 'SPWI' (0x49575053)   24 u64 bytes of each data file
///   4 u16 version (2, or 3 when       32 u64 next sequence number
///         striped; 1 read)
///   6 u16 data file count (version 3; 40 u64 entry count
///         0 before: one file)
///   8 u64 generation (1, 2, ...)      48 u64 block byte count max
///  16 u32 page bytes (4096)           56 u32 CRC32C of the entry bytes
///  20 u32 entry bytes (96)            60 u32 CRC32C of header bytes 0..<60
/// ```
/// Entries start at byte 4096, 96 bytes each, least recently used first:
/// ```
///   0 u64 sequence   12 u32 page count    20 u32 stored length   28 u8 key length
///   8 u32 page index 16 u32 raw length    24 u32 payload CRC     29 u8 codec
///  30 u8 flags (bit 0: zero-copy layout, payload at the extent's second page)
///  31 u8 data file index (0 before version 3)
///  32 [64] key bytes, zero padded
/// ```
/// Worked example: 1,000,000 blocks take 4096 + 96,000,000 bytes, read back in one request.
package enum DiskCheckpoint {
    package static let magic: UInt32 = 0x4957_5053
    /// Version written: 2 (a journal may extend it, docs/DISK_FORMAT.md "Index journal").
    /// Version 1 (same layout, written before the journal) is still read; a binary that
    /// only knows version 1 sees a version-2 slot as corrupt and recovers by scan, so it
    /// never ignores a journal silently.
    package static let version: UInt16 = 2
    /// Version written by a tier striped over several data files (docs/DISK_FORMAT.md,
    /// "Several directories"): the file count at byte 6, a file index in every entry. A
    /// one-file tier keeps writing version 2, byte for byte as before.
    package static let stripedVersion: UInt16 = 3
    package static let readableVersions: ClosedRange<UInt16> = 1...3
    package static let entryBytes = 96
    package static let headerBytes = DiskLayout.pageBytes

    /// The decoded header of a checkpoint.
    package struct Header: Equatable, Sendable {
        package var generation: UInt64
        /// Bytes of each data file.
        package var dataFileBytes: Int
        /// Data files (directories) the tier stripes over: 1 before version 3.
        package var dataFileCount = 1
        package var nextSequence: UInt64
        package var entryCount: Int
        package var blockByteCountMax: Int
        package var entriesCRC: UInt32
        /// CRC32C of header bytes 0..<60: names this exact checkpoint (a journal batch
        /// extends only the checkpoint whose generation and header CRC it carries).
        package var headerCRC: UInt32
    }

    /// Total bytes of a checkpoint with `entryCount` entries, padded to whole pages.
    package static func byteCount(entryCount: Int) -> Int {
        DiskLayout.roundUp(headerBytes + entryCount * entryBytes, to: DiskLayout.pageBytes)
    }

    /// Writes entry `index` at its place in a checkpoint buffer starting at `base`.
    package static func encodeEntry(
        _ entry: DiskCheckpointEntry, index: Int, into base: UnsafeMutableRawPointer
    ) {
        encodeEntry(entry, at: base + headerBytes + index * entryBytes)
    }

    /// Writes one 96-byte entry at `at` (a checkpoint's or a journal batch's).
    package static func encodeEntry(_ entry: DiskCheckpointEntry, at: UnsafeMutableRawPointer) {
        at.initializeMemory(as: UInt8.self, repeating: 0, count: entryBytes)
        at.storeBytes(of: entry.sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
        at.storeBytes(of: UInt32(entry.pageIndex).littleEndian, toByteOffset: 8, as: UInt32.self)
        at.storeBytes(of: UInt32(entry.pageCount).littleEndian, toByteOffset: 12, as: UInt32.self)
        at.storeBytes(of: UInt32(entry.rawLength).littleEndian, toByteOffset: 16, as: UInt32.self)
        at.storeBytes(
            of: UInt32(entry.storedLength).littleEndian, toByteOffset: 20, as: UInt32.self)
        at.storeBytes(of: entry.payloadCRC.littleEndian, toByteOffset: 24, as: UInt32.self)
        at.storeBytes(of: UInt8(entry.key.count), toByteOffset: 28, as: UInt8.self)
        at.storeBytes(of: entry.codec.rawValue, toByteOffset: 29, as: UInt8.self)
        at.storeBytes(of: UInt8(entry.separateHeaderPage ? 1 : 0), toByteOffset: 30, as: UInt8.self)
        at.storeBytes(of: UInt8(entry.fileIndex), toByteOffset: 31, as: UInt8.self)
        entry.key.withUnsafeBytes { bytes in
            (at + 32).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
    }

    /// Writes the header (computing the entries' CRC) into page 0 at `base`; the entries
    /// must already be in place.
    @discardableResult
    package static func encodeHeader(
        generation: UInt64, dataFileBytes: Int, nextSequence: UInt64, entryCount: Int,
        blockByteCountMax: Int, dataFileCount: Int = 1, into base: UnsafeMutableRawPointer
    ) -> UInt32 {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: headerBytes)
        let entriesCRC = CRC32C.checksum(
            UnsafeRawBufferPointer(start: base + headerBytes, count: entryCount * entryBytes))
        base.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        let striped = dataFileCount > 1
        base.storeBytes(
            of: (striped ? stripedVersion : version).littleEndian, toByteOffset: 4,
            as: UInt16.self)
        if striped {
            base.storeBytes(
                of: UInt16(dataFileCount).littleEndian, toByteOffset: 6, as: UInt16.self)
        }
        base.storeBytes(of: generation.littleEndian, toByteOffset: 8, as: UInt64.self)
        base.storeBytes(
            of: UInt32(DiskLayout.pageBytes).littleEndian, toByteOffset: 16, as: UInt32.self)
        base.storeBytes(of: UInt32(entryBytes).littleEndian, toByteOffset: 20, as: UInt32.self)
        base.storeBytes(of: UInt64(dataFileBytes).littleEndian, toByteOffset: 24, as: UInt64.self)
        base.storeBytes(of: nextSequence.littleEndian, toByteOffset: 32, as: UInt64.self)
        base.storeBytes(of: UInt64(entryCount).littleEndian, toByteOffset: 40, as: UInt64.self)
        base.storeBytes(
            of: UInt64(blockByteCountMax).littleEndian, toByteOffset: 48, as: UInt64.self)
        base.storeBytes(of: entriesCRC.littleEndian, toByteOffset: 56, as: UInt32.self)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: 60))
        base.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
        return crc
    }

    /// Decodes and checks the header in page 0 at `base`; nil when it is not valid. Besides
    /// the CRC, the counts must be ones a tier can write: whole pages, at most 2^31 - 1
    /// pages (a page index is 32-bit signed in memory), and at most one entry per page
    /// (every extent holds a page), and a block size the options accept. A header with valid
    /// CRCs but impossible counts is a corrupt slot, never a size to allocate by.
    /// Generations and sequence numbers at or above this are corrupt (2^62: a tier storing a
    /// billion blocks a second takes over a century to reach it).
    package static let sequenceLimit: UInt64 = 1 << 62

    package static func decodeHeader(from base: UnsafeRawPointer) -> Header? {
        func u32(_ offset: Int) -> UInt32 {
            UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        func u64(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        func u16(_ offset: Int) -> UInt16 {
            UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }
        let version = u16(4)
        let fileCount = version >= stripedVersion ? Int(u16(6)) : 1
        guard CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: 60)) == u32(60),
            u32(0) == magic, readableVersions.contains(version),
            (1...DiskLayout.dataFileCountMax).contains(fileCount),
            u32(16) == UInt32(DiskLayout.pageBytes), u32(20) == UInt32(entryBytes),
            u64(24) % UInt64(DiskLayout.pageBytes) == 0,
            u64(24) / UInt64(DiskLayout.pageBytes) <= UInt64(Int32.max),
            u64(40) <= u64(24) / UInt64(DiskLayout.pageBytes) * UInt64(fileCount),
            u64(48) <= UInt64(DiskTierOptions.blockByteCountLimit),
            // Generations and sequence numbers count up by one per sync and per store: a
            // value near 2^64 was never written by a tier (and would overflow the next one).
            u64(8) >= 1, u64(8) < sequenceLimit, u64(32) < sequenceLimit
        else { return nil }
        return Header(
            generation: u64(8), dataFileBytes: Int(u64(24)), dataFileCount: fileCount,
            nextSequence: u64(32),
            entryCount: Int(u64(40)), blockByteCountMax: Int(u64(48)), entriesCRC: u32(56),
            headerCRC: u32(60))
    }

    /// Decodes entry `index` of a checkpoint buffer at `base`; nil when a field is invalid.
    package static func decodeEntry(index: Int, from base: UnsafeRawPointer) -> DiskCheckpointEntry?
    {
        decodeEntry(at: base + headerBytes + index * entryBytes)
    }

    /// Decodes one 96-byte entry at `at`; nil when a field is invalid.
    package static func decodeEntry(at: UnsafeRawPointer) -> DiskCheckpointEntry? {
        func u32(_ offset: Int) -> Int {
            Int(UInt32(littleEndian: at.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
        let keyLength = Int(at.load(fromByteOffset: 28, as: UInt8.self))
        let flags = at.load(fromByteOffset: 30, as: UInt8.self)
        guard keyLength >= 1, keyLength <= BlockKey.maxByteCount, flags <= 1,
            let codec = DiskCodec(rawValue: at.load(fromByteOffset: 29, as: UInt8.self)),
            let key = BlockKey(bytes: UnsafeRawBufferPointer(start: at + 32, count: keyLength))
        else { return nil }
        return DiskCheckpointEntry(
            key: key, codec: codec, pageIndex: u32(8), pageCount: u32(12), rawLength: u32(16),
            storedLength: u32(20), payloadCRC: UInt32(u32(24)),
            sequence: UInt64(littleEndian: at.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            separateHeaderPage: flags == 1,
            fileIndex: Int(at.load(fromByteOffset: 31, as: UInt8.self)))
    }
}
