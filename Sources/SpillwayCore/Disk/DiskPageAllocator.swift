// The page-granular allocator of the data file: a bitmap of 4 KiB pages, next-fit search.

/// Tracks which pages of the data file hold an extent. One bit per page (a 1 TiB tier at
/// 4 KiB pages is 32 MiB of bitmap); allocations are contiguous runs.
///
/// `findRun` is next-fit from a rover and skips full words 64 pages at a time; its scan is
/// bounded by `scanPageCountMax` so a fragmented full tier falls back to eviction quickly
/// instead of walking the whole bitmap on every store. `freeRun(around:)` finds the maximal
/// free run containing a just-freed extent, which is how eviction turns a victim into room.
package struct DiskPageAllocator: Sendable {
    package let pageCount: Int
    package private(set) var usedPageCount = 0
    var words: [UInt64]
    var rover = 0
    /// Upper bound on pages examined by one `findRun` call.
    package var scanPageCountMax = 1 << 16

    package init(pageCount: Int) {
        precondition(pageCount >= 0)
        self.pageCount = pageCount
        words = Array(repeating: 0, count: (pageCount + 63) / 64)
        // Pages past the end are permanently "used" so runs never cross the end.
        let tail = pageCount % 64
        if tail != 0 { words[words.count - 1] = ~0 << UInt64(tail) }
    }

    package var freePageCount: Int { pageCount - usedPageCount }

    @inline(__always)
    func isUsed(_ page: Int) -> Bool {
        words[page >> 6] & (1 << UInt64(page & 63)) != 0
    }

    /// Marks `count` pages from `start` used. They must be free (a double allocation is a bug).
    package mutating func markUsed(start: Int, count: Int) {
        precondition(start >= 0 && count > 0 && start + count <= pageCount, "extent out of range")
        for page in start..<start + count {
            precondition(!isUsed(page), "page \(page) allocated twice")
            words[page >> 6] |= 1 << UInt64(page & 63)
        }
        usedPageCount += count
    }

    /// Whether every page of the extent is free.
    package func isFree(start: Int, count: Int) -> Bool {
        guard start >= 0, count > 0, start + count <= pageCount else { return false }
        for page in start..<start + count where isUsed(page) { return false }
        return true
    }

    /// Marks `count` pages from `start` free. They must be used (a double free is a bug).
    package mutating func markFree(start: Int, count: Int) {
        precondition(start >= 0 && count > 0 && start + count <= pageCount, "extent out of range")
        for page in start..<start + count {
            precondition(isUsed(page), "page \(page) freed twice")
            words[page >> 6] &= ~(1 << UInt64(page & 63))
        }
        usedPageCount -= count
    }

    /// The start of a free run of `count` pages, next-fit from the rover, examining at most
    /// `scanPageCountMax` pages; nil when none was found within the bound.
    package mutating func findRun(count: Int) -> Int? {
        guard count > 0, count <= freePageCount else { return nil }
        var page = rover < pageCount ? rover : 0
        var runStart = page
        var runLength = 0
        var examined = 0
        let limit = min(scanPageCountMax, pageCount) + count
        while examined < limit {
            if page >= pageCount {
                page = 0
                runStart = 0
                runLength = 0
            }
            if page & 63 == 0, runLength == 0, words[page >> 6] == ~0 {
                // The last word may hold fewer than 64 real pages: count only those, or a
                // scan bounded by the page count stops short of a run just behind the rover.
                examined += min(64, pageCount - page)
                page += 64
                runStart = page
                continue
            }
            if isUsed(page) {
                runLength = 0
                runStart = page + 1
            } else {
                runLength += 1
                if runLength == count {
                    rover = runStart + count
                    return runStart
                }
            }
            page += 1
            examined += 1
        }
        return nil
    }

    /// A free run containing page `page` (which must be free), grown left then right until
    /// it is `wanted` pages long or cannot grow; returns (start, count). Bounded by `wanted`
    /// steps each way, so eviction stays cheap even in a mostly empty file.
    package func freeRun(around page: Int, wanted: Int) -> (start: Int, count: Int) {
        precondition(!isUsed(page), "freeRun(around:) of a used page")
        var low = page
        while low > 0, page - low + 1 < wanted, !isUsed(low - 1) { low -= 1 }
        var high = page + 1
        while high < pageCount, high - low < wanted, !isUsed(high) { high += 1 }
        return (low, high - low)
    }

    /// Number of used pages by counting bits (for invariant checks).
    package func countUsedPages() -> Int {
        var total = 0
        for (index, word) in words.enumerated() {
            var bits = word
            if index == words.count - 1, pageCount % 64 != 0 {
                bits &= (1 << UInt64(pageCount % 64)) - 1
            }
            total += bits.nonzeroBitCount
        }
        return total
    }
}
