// Writes the binary seeds of the checkpoint and record targets with the tier's own
// encoders (`SPILLWAY_FUZZ_WRITE_SEEDS=DIR`); scripts/fuzz.sh --write-seeds commits them
// under Fuzz/Corpus/.
import Glibc
import SpillwayCore

/// The generated seed files: valid encodings and a few near-valid edge cases.
enum SeedWriter {
    /// Writes DIR/checkpoint/*, DIR/record/* and DIR/journal/*; false when a file cannot be
    /// written.
    static func writeAll(under directory: String) -> Bool {
        var ok = true
        for (target, seeds) in [
            ("checkpoint", checkpointSeeds()), ("record", recordSeeds()), ("journal", journalSeeds()),
        ] {
            mkdir("\(directory)/\(target)", 0o755)
            for (name, bytes) in seeds {
                ok = write(bytes, to: "\(directory)/\(target)/\(name)") && ok
            }
        }
        return ok
    }

    /// Both slots of the template tier, the newest slot of a zero-copy tier, a header
    /// without entries, and the newest slot truncated to its header page.
    static func checkpointSeeds() -> [(String, [UInt8])] {
        let plain = FuzzTier.template
        let zeroCopy = FuzzTier.makeTemplate(zeroCopy: true)
        let a = DiskLayout.checkpointFileNames[0]
        let b = DiskLayout.checkpointFileNames[1]
        let newest = plain[a]!
        return [
            ("valid-four-entries", newest),
            ("valid-empty-generation-1", plain[b]!),
            ("valid-zero-copy", zeroCopy[a]!),
            ("header-page-only", Array(newest.prefix(DiskCheckpoint.headerBytes))),
            ("header-only-64-bytes", Array(newest.prefix(64))),
        ]
    }

    /// The journal template's two batches, its first batch alone, and a lone header.
    static func journalSeeds() -> [(String, [UInt8])] {
        let journal = FuzzTier.journalTemplate[DiskLayout.journalFileName]!
        let page = DiskLayout.pageBytes
        return [
            ("two-batches", journal),
            ("first-batch", Array(journal.prefix(page))),
            ("header-64-bytes", Array(journal.prefix(DiskJournal.headerBytes))),
        ]
    }

    /// The first record of the template's data file (one page), the first three pages,
    /// a zero-copy record (header page and payload page), and a lone 128-byte header.
    static func recordSeeds() -> [(String, [UInt8])] {
        let data = FuzzTier.template[DiskLayout.dataFileName]!
        let zeroCopy = FuzzTier.makeTemplate(zeroCopy: true)[DiskLayout.dataFileName]!
        let page = DiskLayout.pageBytes
        return [
            ("one-record-page", Array(data.prefix(page))),
            ("three-pages", Array(data.prefix(3 * page))),
            ("zero-copy-record", Array(zeroCopy.prefix(2 * page))),
            ("header-128-bytes", Array(data.prefix(DiskRecordHeader.byteCount))),
        ]
    }

    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        guard let file = fopen(path, "wb") else {
            let message = "cannot write \(path)\n"
            _ = message.withCString { Glibc.write(2, $0, strlen($0)) }
            return false
        }
        defer { fclose(file) }
        return bytes.isEmpty || fwrite(bytes, 1, bytes.count, file) == bytes.count
    }
}
