// Constants of the on-disk layout: page size and the names of the files a tier owns.

/// Fixed facts of the disk format (docs/DISK_FORMAT.md).
package enum DiskLayout {
    /// Allocation unit and direct-I/O alignment of every extent, checkpoint and buffer.
    package static let pageBytes = 4096
    /// The data file: block extents at page offsets.
    package static let dataFileName = "spillway-data.0"
    /// Data file `index` of a tier striped over several directories: `spillway-data.K` in
    /// its K-th directory (0 is the home's, `dataFileName`).
    package static func dataFileName(_ index: Int) -> String { "spillway-data.\(index)" }
    /// Most data files (directories) one tier stripes over: a file index is one byte in
    /// the formats, and far fewer devices than this sit in one machine.
    package static let dataFileCountMax = 64
    /// The home's list of the tier's directories, written when a tier is created over
    /// more than one (docs/DISK_FORMAT.md, "Several directories").
    package static let directoryManifestFileName = "spillway-directories"
    /// The two checkpoint slots; a new checkpoint overwrites the older one.
    package static let checkpointFileNames = ["spillway-index.a", "spillway-index.b"]
    /// The index journal: batches of index changes since the newest full checkpoint.
    package static let journalFileName = "spillway-journal"
    /// Every file a tier owns in its directory (what removing a tier removes).
    package static var fileNames: [String] { [dataFileName] + checkpointFileNames + [journalFileName] }

    /// Pages of a record: its header then `storedLength` payload bytes, the payload right
    /// after the 128-byte header, or from the second page (zero-copy layout).
    /// Worked example: 262144 bytes take 65 pages either way; 1000 bytes take 1 page
    /// inline and 2 pages with a separate header page.
    package static func recordPageCount(storedLength: Int, separateHeaderPage: Bool) -> Int {
        let payloadOffset = separateHeaderPage ? pageBytes : DiskRecordHeader.byteCount
        return roundUp(payloadOffset + storedLength, to: pageBytes) / pageBytes
    }

    /// `value` rounded up to a multiple of `unit` (a power of two).
    @inlinable
    package static func roundUp(_ value: Int, to unit: Int) -> Int {
        (value + unit - 1) & ~(unit - 1)
    }
}
