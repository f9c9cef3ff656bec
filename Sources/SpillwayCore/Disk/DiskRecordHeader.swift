// The 128-byte header at the start of every block extent, and its (de)serialisation.

/// The record header that starts every extent in the data file.
///
/// Layout (little-endian, 128 bytes; payload follows at byte 128):
/// ```
///   0  u32 magic 'SPWB' (0x42575053)      24  u64 sequence (unique per store, never reused)
///   4  u16 version (1)                    32  [64] key bytes, zero padded
///   6  u16 header bytes (128)             96  [28] reserved, zero
///   8  u8  key length (1...64)           (96  u8  data file index: 0 the home's)
///                                        124  u32 CRC32C of bytes 0..<124
///   9  u8  codec of the stored payload
///  10  u16 flags: bit 0 = the payload starts at byte 4096 (a header page of its own)
///  12  u32 raw length (bytes the caller stored)
///  16  u32 stored length (payload bytes on disk)
///  20  u32 CRC32C of the stored payload
/// ```
/// Worked example: a 256 KiB block stored raw takes 128 + 262144 = 262272 bytes, rounded up
/// to 65 pages (266240 bytes); compressed to 200000 bytes it takes 49 pages.
///
/// Zero-copy records (flag bit 0) keep the header alone in the extent's first page and the
/// payload in the pages after it, so an aligned caller buffer is written and read in place
/// (no staging copy). The same 256 KiB block then also takes 1 + 64 = 65 pages.
/// Records written before the flag existed have 0 there (payload at byte 128).
package struct DiskRecordHeader: Equatable, Sendable {
    package static let byteCount = 128
    package static let magic: UInt32 = 0x4257_5053
    package static let version: UInt16 = 1

    package var key: BlockKey
    package var codec: DiskCodec
    package var rawLength: Int
    package var storedLength: Int
    package var payloadCRC: UInt32
    package var sequence: UInt64
    /// The payload starts at byte 4096 (zero-copy layout) instead of right after the header.
    package var separateHeaderPage: Bool
    /// The data file the record was written to (byte 96, formerly reserved: records of a
    /// one-directory tier have 0 there). A scan takes a record only in its own file.
    package var fileIndex: Int = 0

    /// Where the payload starts inside the extent.
    package var payloadOffset: Int {
        separateHeaderPage ? DiskLayout.pageBytes : Self.byteCount
    }

    package init(
        key: BlockKey, codec: DiskCodec, rawLength: Int, storedLength: Int, payloadCRC: UInt32,
        sequence: UInt64, separateHeaderPage: Bool = false
    ) {
        self.separateHeaderPage = separateHeaderPage
        self.key = key
        self.codec = codec
        self.rawLength = rawLength
        self.storedLength = storedLength
        self.payloadCRC = payloadCRC
        self.sequence = sequence
    }

    /// Writes the header (with its CRC) into the first 128 bytes at `base`.
    package func encode(into base: UnsafeMutableRawPointer) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: Self.byteCount)
        base.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        base.storeBytes(of: Self.version.littleEndian, toByteOffset: 4, as: UInt16.self)
        base.storeBytes(of: UInt16(Self.byteCount).littleEndian, toByteOffset: 6, as: UInt16.self)
        base.storeBytes(of: UInt8(key.count), toByteOffset: 8, as: UInt8.self)
        base.storeBytes(of: codec.rawValue, toByteOffset: 9, as: UInt8.self)
        base.storeBytes(
            of: UInt16(separateHeaderPage ? 1 : 0).littleEndian, toByteOffset: 10, as: UInt16.self)
        base.storeBytes(of: UInt32(rawLength).littleEndian, toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: UInt32(storedLength).littleEndian, toByteOffset: 16, as: UInt32.self)
        base.storeBytes(of: payloadCRC.littleEndian, toByteOffset: 20, as: UInt32.self)
        base.storeBytes(of: sequence.littleEndian, toByteOffset: 24, as: UInt64.self)
        base.storeBytes(of: UInt8(fileIndex), toByteOffset: 96, as: UInt8.self)
        key.withUnsafeBytes { bytes in
            (base + 32).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: 124))
        base.storeBytes(of: crc.littleEndian, toByteOffset: 124, as: UInt32.self)
    }

    /// Decodes and checks (magic, version, CRC, field ranges) the header at `base`; nil
    /// when it is not a valid record header.
    package static func decode(from base: UnsafeRawPointer) -> DiskRecordHeader? {
        let stored = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 124, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: 124)) == stored,
            UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == magic,
            UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) == version,
            UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
                == UInt16(byteCount)
        else { return nil }
        let keyLength = Int(base.load(fromByteOffset: 8, as: UInt8.self))
        guard let codec = DiskCodec(rawValue: base.load(fromByteOffset: 9, as: UInt8.self)),
            let key = BlockKey(
                bytes: UnsafeRawBufferPointer(
                    start: base + 32, count: min(keyLength, BlockKey.maxByteCount)))
        else { return nil }
        guard keyLength <= BlockKey.maxByteCount else { return nil }
        let flags = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        guard flags <= 1 else { return nil }
        var header = DiskRecordHeader(
            key: key, codec: codec,
            rawLength: Int(
                UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))),
            storedLength: Int(
                UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self))),
            payloadCRC: UInt32(
                littleEndian: base.loadUnaligned(fromByteOffset: 20, as: UInt32.self)),
            sequence: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
            separateHeaderPage: flags == 1)
        header.fileIndex = Int(base.load(fromByteOffset: 96, as: UInt8.self))
        return header
    }
}
