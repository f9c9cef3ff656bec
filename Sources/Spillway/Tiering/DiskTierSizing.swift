// How large a disk tier must be so that it holds N blocks without ever evicting by itself.
import SpillwayCore

/// Sizes the data file of a data path's disk tier from the record layout (DISK_FORMAT.md):
/// one block = one extent of `roundUp(128-byte header + stored bytes, 4 KiB)` pages.
package enum DiskTierSizing {
    /// Pages of one uncompressed record of `blockBytes`.
    package static func pagesPerRecord(blockBytes: Int) -> Int {
        DiskLayout.roundUp(DiskRecordHeader.byteCount + blockBytes, to: DiskLayout.pageBytes)
            / DiskLayout.pageBytes
    }

    /// Bytes of a data file that holds `blocks` records of at most `blockBytes` each without
    /// the tier ever having to evict, whatever the order of stores and removals (the tier's
    /// allocator is told to scan the whole file, so it finds any free run).
    ///
    /// Uncompressed records all take `K` pages. Next-fit then only ever places an extent at
    /// 0, at the end of another extent or at the rover (the end of the last allocation), so
    /// every extent starts on a multiple of `K` and `N * K` pages always leave a `K`-page
    /// hole while fewer than `N` records are stored.
    /// Compressed records vary (1...`K` pages), so holes can fragment: when a store needs
    /// room, at most `N - 1` extents split the free pages into at most `N` runs; if every
    /// run were shorter than `K`, free pages would be at most `N * (K - 1)`, so
    /// `(N - 1) * K + N * (K - 1) + 1 = 2NK - K - N + 1` pages always have a `K`-page run.
    package static func capacityBytes(blocks: Int, blockBytes: Int, codec: DiskCodec) -> Int {
        let n = max(1, blocks)
        let k = pagesPerRecord(blockBytes: blockBytes)
        let pages = codec == .none ? n * k : max(n * k, 2 * n * k - k - n + 1)
        return pages * DiskLayout.pageBytes
    }
}
