// Constants of the on-disk layout: page size and the names of the files a tier owns.

/// Fixed facts of the disk format (docs/DISK_FORMAT.md).
public enum DiskLayout {
    /// Allocation unit and direct-I/O alignment of every extent, checkpoint and buffer.
    public static let pageBytes = 4096
    /// The data file: block extents at page offsets.
    public static let dataFileName = "spillway-data.0"
    /// The two checkpoint slots; a new checkpoint overwrites the older one.
    public static let checkpointFileNames = ["spillway-index.a", "spillway-index.b"]

    /// `value` rounded up to a multiple of `unit` (a power of two).
    @inlinable
    public static func roundUp(_ value: Int, to unit: Int) -> Int {
        (value + unit - 1) & ~(unit - 1)
    }
}
