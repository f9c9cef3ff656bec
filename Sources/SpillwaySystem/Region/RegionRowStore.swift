// The production RowStore: a shared region's rows (`createKVMemoryView()[r]`), with the
// mapping held for the store's lifetime so no lent row can be unmapped underneath.
import SpillwayCore

/// The rows of a `SharedOffloadRegion` as a `RowStore`: row `r` is the region's row `r`
/// (`rowStride` bytes). The store retains the region's mapping from init to deinit:
/// `cleanup()` during that time stops views and unlinks files at once, but the unmap waits
/// for the store, so bytes it lent (or I/O its owner keeps in flight into a row) never
/// touch unmapped memory.
public final class RegionRowStore: RowStore, @unchecked Sendable {
    public let region: SharedOffloadRegion
    public let rowCount: Int
    public let rowStride: Int
    private let base: UnsafeMutableRawPointer

    /// A store over `region`'s rows; traps when the region was cleaned up already.
    public init(region: SharedOffloadRegion) {
        region.retainMapping()
        self.region = region
        rowCount = region.numBlocks
        rowStride = region.rowStride
        base = region.baseAddress
    }

    deinit { region.releaseMapping() }

    @inline(__always)
    public func withRow<R>(_ row: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        precondition(row >= 0 && row < rowCount, "row \(row) out of 0..<\(rowCount)")
        return try body(UnsafeMutableRawBufferPointer(start: base + row &* rowStride, count: rowStride))
    }
}
