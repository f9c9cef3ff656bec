// The zero-copy per-tensor view of a worker's slot or of the canonical area at the start of
// every row: `view[b]` is one tensor page in row b.

extension SharedOffloadRegion {
    /// A strided byte view of shape `(numBlocks, tensorPageSize)` with row stride `rowStride`:
    /// `view[b]` is `tensorPageSize` bytes at `b * rowStride + offsetInRow`, where
    /// `offsetInRow = rank * cpuPageSize + (sum of the earlier tensor page sizes)` for a worker
    /// view, the sum of the earlier canonical tensor page sizes for a canonical view.
    /// Holds the region alive; using it after `cleanup()` traps.
    public struct TensorView: RandomAccessCollection, @unchecked Sendable {
        /// The region this view maps into.
        public let region: SharedOffloadRegion
        /// Byte offset of this tensor inside every row.
        public let offsetInRow: Int
        /// Bytes of this tensor per row.
        public let tensorPageSize: Int
        /// Bytes between consecutive rows.
        public let rowStride: Int
        /// Address of `view[0]`.
        public let baseAddress: UnsafeMutableRawPointer

        init(region: SharedOffloadRegion, offsetInRow: Int, tensorPageSize: Int) {
            self.region = region
            self.offsetInRow = offsetInRow
            self.tensorPageSize = tensorPageSize
            self.rowStride = region.rowStride
            self.baseAddress = region.baseAddress + offsetInRow
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { region.numBlocks }

        /// This tensor's page in row `block`: `tensorPageSize` bytes.
        @inline(__always)
        public subscript(block: Int) -> UnsafeMutableRawBufferPointer {
            precondition(block >= 0 && block < endIndex, "row \(block) out of 0..<\(endIndex)")
            region.checkMapped()
            return UnsafeMutableRawBufferPointer(
                start: baseAddress + block &* rowStride, count: tensorPageSize)
        }
    }
}
