// The zero-copy whole-row view of a region: `view[b]` is row b, every worker's slot plus padding.

extension SharedOffloadRegion {
    /// The region as `numBlocks` rows of `rowStride` bytes; `view[b]` starts at
    /// `baseAddress + b * rowStride`. This is the unit the disk tier moves. Holds the region
    /// alive; using it after `cleanup()` traps.
    public struct KVMemoryView: RandomAccessCollection, @unchecked Sendable {
        /// The region this view maps into.
        public let region: SharedOffloadRegion
        /// Row 0 (page aligned).
        public let baseAddress: UnsafeMutableRawPointer
        /// Bytes between consecutive rows.
        public let rowStride: Int

        init(region: SharedOffloadRegion) {
            self.region = region
            self.baseAddress = region.baseAddress
            self.rowStride = region.rowStride
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { region.numBlocks }

        /// Row `block`: `rowStride` bytes.
        @inline(__always)
        public subscript(block: Int) -> UnsafeMutableRawBufferPointer {
            precondition(block >= 0 && block < endIndex, "row \(block) out of 0..<\(endIndex)")
            region.checkMapped()
            return UnsafeMutableRawBufferPointer(
                start: baseAddress + block &* rowStride, count: rowStride)
        }
    }
}
