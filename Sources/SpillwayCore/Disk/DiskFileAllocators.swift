// The page allocators of a tier's data files, one per file (per directory), and the
// choice of the file a new extent goes to.

/// One `DiskPageAllocator` per data file plus the bytes each file has in flight, so a
/// store can go to the least busy device.
///
/// Choice (`nextFile`): fewest bytes in flight first (stores and loads being
/// transferred), ties broken round-robin from the file after the last one chosen, so a
/// caller that waits for every store before the next still alternates devices. The store
/// then takes the first of these files that has a free run; only when none has does it
/// evict (least recently used first, whichever file that frees).
struct DiskFileAllocators {
    var files: [DiskPageAllocator]
    /// Bytes of the transfers in flight per file.
    var bytesInFlight: [Int]
    /// The file chosen last (round-robin tie break).
    var lastChosen = -1

    init(fileCount: Int, pagesPerFile: Int) {
        files = Array(repeating: DiskPageAllocator(pageCount: pagesPerFile), count: fileCount)
        bytesInFlight = Array(repeating: 0, count: fileCount)
    }

    var fileCount: Int { files.count }

    /// Pages of each data file (they are all the same size).
    var pagesPerFile: Int { files.first?.pageCount ?? 0 }

    /// Pages of every file together.
    var pageCount: Int { files.reduce(0) { $0 + $1.pageCount } }

    var usedPageCount: Int { files.reduce(0) { $0 + $1.usedPageCount } }

    var scanPageCountMax: Int {
        get { files.first?.scanPageCountMax ?? 1 << 16 }
        set { for index in files.indices { files[index].scanPageCountMax = newValue } }
    }

    /// The file a new extent should try next: among the files not in `tried` (a bit per
    /// file), the one with the fewest bytes in flight, ties going to the first after
    /// `lastChosen` (round-robin); nil when every file was tried. No allocation.
    func nextFile(tried: UInt64) -> Int? {
        let count = files.count
        var best: Int?
        for step in 0..<count {
            let file = (lastChosen + 1 + step) % count
            if tried & (1 << UInt64(file)) != 0 { continue }
            if let chosen = best, bytesInFlight[chosen] <= bytesInFlight[file] { continue }
            best = file
        }
        return best
    }
}
