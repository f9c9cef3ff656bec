// Fuzzes the record decoder: DiskRecordHeader.decode on arbitrary bytes, then recovery by
// scan over a data file that begins with the bytes.
import SpillwayCore

/// The input overlays the start of the template's data file (so the records after it are
/// still there to find); both checkpoint slots are zeroed, so open must rebuild the index
/// by scanning record headers.
enum RecordFuzzer {
    static func run(_ bytes: [UInt8]) {
        decode(bytes)
        var files = FuzzTier.template
        var data = files[DiskLayout.dataFileName]!
        if bytes.count > data.count {
            data += [UInt8](repeating: 0, count: bytes.count - data.count)
        }
        data.replaceSubrange(0..<bytes.count, with: bytes)
        files[DiskLayout.dataFileName] = data
        for name in DiskLayout.checkpointFileNames {
            files[name] = [UInt8](repeating: 0, count: DiskCheckpoint.headerBytes)
        }
        FuzzTier.openAndCheck(files)
    }

    /// Decodes a header at every 128-byte step the bytes cover (zero padded at the end).
    static func decode(_ bytes: [UInt8]) {
        let size = DiskRecordHeader.byteCount
        var offset = 0
        repeat {
            var chunk = [UInt8](repeating: 0, count: size)
            let end = min(offset + size, bytes.count)
            if offset < end { chunk.replaceSubrange(0..<(end - offset), with: bytes[offset..<end]) }
            chunk.withUnsafeBytes { raw in
                if let header = DiskRecordHeader.decode(from: raw.baseAddress!) {
                    precondition(header.key.count >= 1 && header.key.count <= BlockKey.maxByteCount)
                    precondition(header.rawLength >= 0 && header.storedLength >= 0)
                }
            }
            offset += size
        } while offset < bytes.count && offset < 64 * size
    }
}
