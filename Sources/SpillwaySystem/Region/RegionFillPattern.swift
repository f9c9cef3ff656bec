// A deterministic, never-zero byte pattern per (seed, rank, tensor, row, byte), so separate
// processes can fill slots and anyone can check the raw file byte for byte.

/// The test and demo pattern written by `spillway region create --fill-pattern`.
package enum RegionFillPattern {
    /// Per-(seed, rank, tensor, row) 64-bit key; bytes are derived from it by `byte(key:at:)`.
    @inline(__always)
    package static func key(seed: UInt64, rank: Int, tensor: Int, block: Int) -> UInt64 {
        var z = seed ^ (UInt64(rank) << 48) ^ (UInt64(tensor) << 36) ^ UInt64(block)
        // splitmix64 finalizer.
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Byte `index` of a tensor page with `key`; never 0, so unwritten bytes stand out.
    @inline(__always)
    package static func byte(key: UInt64, at index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (key &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15) >> 56) | 1
    }

    /// Fills `buffer` with the pattern of `key`.
    package static func fill(_ buffer: UnsafeMutableRawBufferPointer, key: UInt64) {
        for index in 0..<buffer.count { buffer[index] = byte(key: key, at: index) }
    }

    /// Index of the first byte of `buffer` that differs from the pattern of `key`, or nil.
    package static func firstMismatch(_ buffer: UnsafeRawBufferPointer, key: UInt64) -> Int? {
        for index in 0..<buffer.count where buffer[index] != byte(key: key, at: index) {
            return index
        }
        return nil
    }
}
