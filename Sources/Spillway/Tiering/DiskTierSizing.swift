// How large a disk tier must be so that it holds N blocks without ever evicting by itself.
import SpillwayCore

/// Sizes the data file of a data path's disk tier from the record layout (DISK_FORMAT.md):
/// one block = one extent of `roundUp(128-byte header + stored bytes, 4 KiB)` pages.
public enum DiskTierSizing {
    /// Pages of one uncompressed record of `blockBytes`.
    public static func pagesPerRecord(blockBytes: Int) -> Int {
        DiskLayout.roundUp(DiskRecordHeader.byteCount + blockBytes, to: DiskLayout.pageBytes)
            / DiskLayout.pageBytes
    }

    /// Bytes of a data file that holds `blocks` records of at most `blockBytes` each without
    /// the tier ever having to evict, whatever the order of stores and removals and wherever
    /// the allocator places extents.
    ///
    /// When a store needs room, at most `N - 1` extents of at most `K` pages are live (the
    /// engine removed a victim first), splitting the free pages into at most `N` runs. If
    /// every run were shorter than `K`, free pages would be at most `N * (K - 1)`; so a file
    /// of `(N - 1) * K + N * (K - 1) + 1 = 2NK - K - N + 1` pages always has a `K`-page run
    /// (the tier's allocator, told to scan the whole file, finds it). Equal-size records
    /// packed on multiples of `K` would need only `N * K`, but next-fit placement does not
    /// keep them packed (measured: 248 self-evictions in the shared trace at `N * K`).
    public static func capacityBytes(blocks: Int, blockBytes: Int, codec: DiskCodec) -> Int {
        let n = max(1, blocks)
        let k = pagesPerRecord(blockBytes: blockBytes)
        let pages = max(n * k, 2 * n * k - k - n + 1)
        return pages * DiskLayout.pageBytes
    }
}
