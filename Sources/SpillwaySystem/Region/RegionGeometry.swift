// The pure offset math of a shared offload region: row stride, file size, slot offsets.
//
// Worked example (docs/REGION.md, Layout): M = 3 workers, P = 1000 bytes, page size 4096.
//   .seed:        S = 3 * 1000 = 3000; worker 2's slot in row 5 is [5*3000 + 2000, 5*3000 + 3000).
//   .pageAligned: S = roundUp(3000, 4096) = 4096; row 5 starts at 20480, worker 2's slot is
//                 [22480, 23480), bytes [23480, 24576) are padding.

/// Geometry of a region: `numWorkers` slots of `cpuPageSize` bytes per row, `numBlocks` rows.
public struct RegionGeometry: Hashable, Sendable, Codable {
    /// `B`: rows, one per offloaded block.
    public let numBlocks: Int
    /// `M`: worker slots per row.
    public let numWorkers: Int
    /// `P`: bytes per worker slot.
    public let cpuPageSize: Int
    /// Row layout (decides the stride).
    public let layout: SharedOffloadRegion.Layout
    /// The system page size the stride was rounded to (only matters for `.pageAligned`).
    public let pageSize: Int
    /// `S`: bytes from the start of one row to the start of the next.
    public let rowStride: Int
    /// `B * S`: the exact file size.
    public let fileSize: Int

    /// Validates the numbers and computes stride and size.
    /// - Throws: `SharedOffloadRegionError.invalidGeometry` when a count is not positive or
    ///   the size overflows.
    public init(
        numBlocks: Int, numWorkers: Int, cpuPageSize: Int,
        layout: SharedOffloadRegion.Layout, pageSize: Int
    ) throws {
        guard numBlocks > 0 else {
            throw SharedOffloadRegionError.invalidGeometry(
                "numBlocks must be at least 1, got \(numBlocks)")
        }
        guard numWorkers > 0 else {
            throw SharedOffloadRegionError.invalidGeometry(
                "numWorkers must be at least 1, got \(numWorkers)")
        }
        guard cpuPageSize > 0 else {
            throw SharedOffloadRegionError.invalidGeometry(
                "cpuPageSize must be at least 1 byte, got \(cpuPageSize)")
        }
        precondition(
            pageSize > 0 && pageSize & (pageSize - 1) == 0, "page size must be a power of two")
        let (slots, o1) = cpuPageSize.multipliedReportingOverflow(by: numWorkers)
        guard !o1 else {
            throw SharedOffloadRegionError.invalidGeometry(
                "row size cpuPageSize * numWorkers overflows")
        }
        var stride = slots
        if layout == .pageAligned {
            let (padded, o2) = slots.addingReportingOverflow(pageSize - 1)
            guard !o2 else {
                throw SharedOffloadRegionError.invalidGeometry(
                    "row stride overflows when page aligned")
            }
            stride = padded & ~(pageSize - 1)
        }
        let (size, o3) = stride.multipliedReportingOverflow(by: numBlocks)
        guard !o3, size <= Int(Int64.max) else {
            throw SharedOffloadRegionError.invalidGeometry(
                "file size numBlocks * rowStride overflows (\(numBlocks) * \(stride))")
        }
        self.numBlocks = numBlocks
        self.numWorkers = numWorkers
        self.cpuPageSize = cpuPageSize
        self.layout = layout
        self.pageSize = pageSize
        self.rowStride = stride
        self.fileSize = size
    }

    /// Byte offset of row `block` in the file: `block * S`.
    @inline(__always)
    public func rowOffset(_ block: Int) -> Int {
        precondition(block >= 0 && block < numBlocks, "row \(block) out of 0..<\(numBlocks)")
        return block &* rowStride
    }

    /// Byte offset of worker `rank`'s slot in row `block`: `block * S + rank * P`.
    @inline(__always)
    public func slotOffset(block: Int, rank: Int) -> Int {
        precondition(rank >= 0 && rank < numWorkers, "rank \(rank) out of 0..<\(numWorkers)")
        return rowOffset(block) &+ rank &* cpuPageSize
    }

    /// Padding bytes at the end of each row (`S - P * M`; zero for `.seed`).
    public var paddingPerRow: Int { rowStride - cpuPageSize * numWorkers }

    /// Short human form, e.g. `B=1024 M=4 P=65536 layout=page-aligned S=262144`.
    public var summary: String {
        "B=\(numBlocks) M=\(numWorkers) P=\(cpuPageSize) layout=\(layout.argument) S=\(rowStride)"
    }
}
