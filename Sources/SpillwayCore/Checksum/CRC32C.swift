// CRC32C (Castagnoli), the checksum every disk-tier record carries.
import CSpillwayCompute

public enum CRC32C {
    /// CRC32C of `bytes`, continuing from `seed` (0 to start a new checksum).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return seed }
        return spw_crc32c(seed, base, bytes.count)
    }

    /// Copies `source` to `destination` (at least as large, not overlapping) and returns the
    /// CRC32C of the bytes, continuing from `seed`, in one pass over them.
    @inlinable
    public static func copyAndChecksum(
        from source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer,
        seed: UInt32 = 0
    ) -> UInt32 {
        guard let base = source.baseAddress, source.count > 0 else { return seed }
        return spw_copy_crc32c(seed, destination, base, source.count)
    }

    /// Whether the SSE4.2 instruction path is in use (else a slicing-by-8 table).
    public static var isHardwareAccelerated: Bool { spw_crc32c_is_hardware() != 0 }
}
