// The allocator's bounded next-fit scan finds a free run just behind the rover when the
// last bitmap word is partial (the scan used to count the tail word as 64 pages).
import SpillwayCore
import Testing

@Suite struct DiskPageAllocatorScanTests {
    /// Setup: page counts with a partial last word (80, 10000, 20000), scan bound = page
    /// count, every page used, then one page freed at each position behind the rover.
    /// Checks: findRun(1) returns exactly that page every time.
    @Test(arguments: [80, 10000, 20000])
    func fullScanFindsTheOnlyHole(pageCount: Int) {
        var allocator = DiskPageAllocator(pageCount: pageCount)
        allocator.scanPageCountMax = pageCount
        for _ in 0..<pageCount {
            _ = allocator.findRun(count: 1).map { allocator.markUsed(start: $0, count: 1) }
        }
        #expect(allocator.freePageCount == 0)
        for hole in stride(from: pageCount - 1, through: 0, by: -max(1, pageCount / 97)) {
            allocator.markFree(start: hole, count: 1)
            let found = allocator.findRun(count: 1)
            #expect(found == hole, "pageCount \(pageCount) hole \(hole)")
            if let found { allocator.markUsed(start: found, count: 1) }
        }
    }
}
