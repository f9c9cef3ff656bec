// What `spillway region create` writes into and expects from a region's rows: the fill pattern
// in every rank's slot (worker views) or in the canonical tensors, zero in the rest of a row.
import Spillway
import SpillwayCore
import SpillwaySystem

/// The rows a `region create` process fills, checksums and verifies, and how they are laid out.
struct RegionPatternRows {
    /// Canonical views (one copy from the row start, keys of rank 0) instead of worker slots.
    let canonical: Bool
    /// Tensor page sizes, in view order.
    let tensors: [Int]
    /// Rows touched, in order.
    let rows: [Int]

    /// Fills `rows` of each tensor view `makeView` returns (one call per tensor, in order).
    func fill(
        region: SharedOffloadRegion, seed: UInt64, rank: Int,
        makeView: (Int) throws -> SharedOffloadRegion.TensorView
    ) throws {
        for (tensor, size) in tensors.enumerated() {
            let view = try makeView(size)
            for block in rows {
                RegionFillPattern.fill(
                    view[block],
                    key: RegionFillPattern.key(seed: seed, rank: rank, tensor: tensor, block: block)
                )
            }
        }
    }

    /// The `rowStride` bytes row `block` holds once every writer has filled it.
    func expectedRow(_ region: SharedOffloadRegion, seed: UInt64, block: Int) -> [UInt8] {
        var expected = [UInt8](repeating: 0, count: region.rowStride)
        for writer in canonical ? [0] : Array(0..<region.numWorkers) {
            var offset = canonical ? 0 : writer * region.cpuPageSize
            for (tensor, size) in tensors.enumerated() {
                let key = RegionFillPattern.key(
                    seed: seed, rank: writer, tensor: tensor, block: block)
                for i in 0..<size { expected[offset + i] = RegionFillPattern.byte(key: key, at: i) }
                offset += size
            }
        }
        return expected
    }

    /// Bytes of `rows` that differ from `expectedRow`.
    func mismatchedBytes(_ region: SharedOffloadRegion, seed: UInt64) -> Int {
        let view = region.createKVMemoryView()
        var mismatches = 0
        for block in rows {
            let row = view[block]
            let expected = expectedRow(region, seed: seed, block: block)
            for i in 0..<row.count where row[i] != expected[i] { mismatches += 1 }
        }
        return mismatches
    }

    /// CRC32C of `rows` in order: the whole mapping when they are all rows.
    func checksum(_ region: SharedOffloadRegion) -> UInt32 {
        if rows == Array(0..<region.numBlocks) {
            return region.withUnsafeMutableBytes { CRC32C.checksum(UnsafeRawBufferPointer($0)) }
        }
        let view = region.createKVMemoryView()
        return rows.reduce(UInt32(0)) { crc, block in
            CRC32C.checksum(UnsafeRawBufferPointer(view[block]), seed: crc)
        }
    }
}
