// Fuzzes the index journal decoder: batch scanning and record decoding on arbitrary bytes,
// then a tier opened with the bytes as its journal on top of the template's checkpoint.
import SpillwayCore

/// The input is a whole journal file; the checkpoints and data file are the journal
/// template's, so a batch chained to that checkpoint is replayed.
enum JournalFuzzer {
    static func run(_ bytes: [UInt8]) {
        decode(bytes)
        var files = FuzzTier.journalTemplate
        files[DiskLayout.journalFileName] = bytes
        FuzzTier.openAndCheck(files)
    }

    /// Scans the bytes for batches extending the template's checkpoint (and, so a forged
    /// header of any base is decoded too, the base the first header names) and decodes
    /// every record of every batch found.
    static func decode(_ bytes: [UInt8]) {
        let count = bytes.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(count, DiskJournal.headerBytes), alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.copyBytes(from: bytes)
        let base = UnsafeRawPointer(buffer.baseAddress!)
        var bases = [FuzzTier.journalTemplateBase]
        if count >= DiskJournal.headerBytes {
            bases.append(
                (
                    base.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    base.loadUnaligned(fromByteOffset: 48, as: UInt32.self)
                ))
        }
        for (generation, crc) in bases {
            let found = DiskJournal.scan(base, count: count, baseGeneration: generation, baseCRC: crc)
            for (offset, batch) in found.batches {
                precondition(offset + batch.byteCount <= count, "a batch past the bytes")
                for index in 0..<batch.removalCount {
                    if let key = DiskJournal.removal(index, from: base + offset) {
                        precondition(key.count >= 1 && key.count <= BlockKey.maxByteCount)
                    }
                }
                for index in 0..<batch.putCount {
                    _ = DiskJournal.put(index, of: batch, from: base + offset)
                }
            }
        }
    }
}
