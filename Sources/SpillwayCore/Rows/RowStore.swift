// The primary tier's seam: where rows come from. The shared region's mapping in production
// (`RegionRowStore`), plain memory in simulation (`RowMemory`), with scoped row access.

/// Rows of the primary tier: `rowCount` rows of `rowStride` bytes each.
///
/// Access is scoped: `withRow` lends a row's bytes to `body` only; they must not be kept
/// after it returns. A store keeps its memory valid for as long as the store itself lives
/// (`RegionRowStore` pins the region's mapping, so `cleanup()` cannot unmap it underneath),
/// which is what lets a data path keep I/O into a row in flight between calls: it holds the
/// store, and drains its I/O before letting it go.
public protocol RowStore {
    /// Number of rows.
    var rowCount: Int { get }
    /// Bytes of a row (the unit the disk tier moves).
    var rowStride: Int { get }
    /// Calls `body` with row `row`'s bytes (`0 <= row < rowCount`, checked).
    func withRow<R>(_ row: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R
}
