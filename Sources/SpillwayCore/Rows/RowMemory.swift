// Caller-owned row memory a tier reads rows from and writes rows into: a base address, a row
// stride and a row count (vLLM's primary view: row b is chunk b). The plain-memory RowStore.

/// A range of caller-owned memory laid out as `rowCount` rows of `rowStride` bytes.
///
/// The tier never allocates, maps or frees this memory; the owner keeps it valid until the
/// tier is closed and keeps a row untouched while a job on it is in flight.
/// As a `RowStore` it is the primary tier of a simulation (`TieredStore` over plain memory).
public struct RowMemory: RowStore, @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let rowStride: Int
    public let rowCount: Int

    /// - Throws: `OffloadTierError.invalidArgument` when the stride or count is not positive
    ///   or the range overflows the address space.
    public init(base: UnsafeMutableRawPointer, rowStride: Int, rowCount: Int) throws {
        guard rowStride > 0, rowCount > 0 else {
            throw OffloadTierError(
                .invalidArgument,
                "row stride \(rowStride) and row count \(rowCount) must both be positive")
        }
        let (total, overflow) = rowStride.multipliedReportingOverflow(by: rowCount)
        guard !overflow, UInt(bitPattern: base) <= UInt.max - UInt(total) else {
            throw OffloadTierError(
                .invalidArgument,
                "\(rowCount) rows of \(rowStride) bytes overflow the address space")
        }
        self.base = base
        self.rowStride = rowStride
        self.rowCount = rowCount
    }

    /// Row `index` as bytes; `index` must be in `0..<rowCount` (checked by the caller).
    func row(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + index * rowStride, count: rowStride)
    }

    @inline(__always)
    public func withRow<R>(_ row: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        precondition(row >= 0 && row < rowCount, "row \(row) out of 0..<\(rowCount)")
        return try body(self.row(row))
    }

    /// Whether every row starts on a `alignment`-byte boundary (so direct I/O can use it).
    public func isAligned(to alignment: Int) -> Bool {
        Int(bitPattern: base) % alignment == 0 && rowStride % alignment == 0
    }
}
