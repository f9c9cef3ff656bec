// Fuzzes the checkpoint decoder: the header and entry decoders on arbitrary bytes, then a
// tier opened with the bytes as its newest checkpoint slot.
import SpillwayCore

/// The input is a whole checkpoint file (slot a); slot b and the data file are the
/// template's, so a rejected slot a falls back or is recovered by scan.
enum CheckpointFuzzer {
    static func run(_ bytes: [UInt8]) {
        decode(bytes)
        var files = FuzzTier.template
        files[DiskLayout.checkpointFileNames[0]] = bytes
        FuzzTier.openAndCheck(files)
    }

    /// Decodes the header and, when it is valid, every entry that lies inside the bytes
    /// (the caller's contract: open reads entryCount entries only after checking the size).
    static func decode(_ bytes: [UInt8]) {
        let padded = max(bytes.count, DiskCheckpoint.headerBytes)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: padded, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.copyBytes(from: bytes)
        guard let header = DiskCheckpoint.decodeHeader(from: UnsafeRawPointer(buffer.baseAddress!))
        else { return }
        precondition(header.entryCount >= 0 && header.dataFileBytes >= 0)
        let inside = (padded - DiskCheckpoint.headerBytes) / DiskCheckpoint.entryBytes
        for index in 0..<min(header.entryCount, inside) {
            guard let entry = DiskCheckpoint.decodeEntry(
                index: index, from: UnsafeRawPointer(buffer.baseAddress!))
            else { continue }
            precondition(entry.key.count >= 1 && entry.key.count <= BlockKey.maxByteCount)
        }
    }
}
