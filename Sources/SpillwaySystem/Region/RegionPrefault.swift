// Pre-faulting a mapped region: MADV_POPULATE_WRITE, or a non-destructive touch per page.
import Glibc
import Synchronization
import SystemPackage

enum RegionPrefault {
    /// `MADV_POPULATE_WRITE` (Linux 5.14); Glibc headers of older distributions lack it.
    static let madvPopulateWrite: Int32 = 23

    /// Populates page ranges of one mapping, switching once to `touch` on kernels without
    /// `MADV_POPULATE_WRITE`.
    struct Populator {
        let base: UnsafeMutableRawPointer
        let pageSize: Int
        var useFallback: Bool

        /// Write-faults the pages of `[start, end)`.
        /// - Throws: `Errno` when the kernel cannot populate (ENOMEM, EFAULT when tmpfs is full).
        mutating func populate(_ start: Int, _ end: Int) throws(Errno) {
            if !useFallback {
                // Bound: EINTR/EAGAIN mean "interrupted, call again"; populating is idempotent,
                // and 1000 retries only matter under a signal storm.
                for _ in 0..<1000 {
                    if madvise(base + start, end - start, madvPopulateWrite) == 0 { return }
                    let e = errno
                    if e == EINTR || e == EAGAIN { continue }
                    if e == EINVAL || e == ENOSYS {
                        useFallback = true  // Kernel before 5.14: it does not know the advice.
                        break
                    }
                    throw Errno(rawValue: e)
                }
                if !useFallback { throw Errno.resourceTemporarilyUnavailable }
            }
            touch(base: base, start: start, end: end, pageSize: pageSize)
        }
    }

    /// Pre-faults writable pages: the whole region for the manager (`rank == nil`), only the
    /// pages holding this worker's slots for a ranked opener. With several segment files a
    /// worker starts at row `rank * B / (S / P)` and wraps around, as vLLM 0.33 does, so the
    /// workers begin on different files (page-cache inserts are serialized per file).
    /// - Throws: `Errno` when the kernel cannot populate (for example ENOMEM, EFAULT when
    ///   tmpfs is full).
    static func prefault(
        base: UnsafeMutableRawPointer, geometry: RegionGeometry, rank: Int?, segmentCount: Int,
        forceFallback: Bool
    ) throws(Errno) {
        var populator = Populator(
            base: base, pageSize: geometry.pageSize, useFallback: forceFallback)
        let page = geometry.pageSize
        guard let rank else {
            try populator.populate(0, geometry.fileSize)
            return
        }
        let blocks = geometry.numBlocks
        let first =
            segmentCount > 1 ? rank * blocks / (geometry.rowStride / geometry.cpuPageSize) : 0
        // Page ranges of this worker's slots, merged when consecutive slots share or touch
        // pages (e.g. M = 1, or P*M smaller than a page).
        var pending: (start: Int, end: Int)? = nil
        for i in 0..<blocks {
            let slot = geometry.slotOffset(block: (first + i) % blocks, rank: rank)
            let start = slot & ~(page - 1)
            let end = min((slot + geometry.cpuPageSize + page - 1) & ~(page - 1), geometry.fileSize)
            if let current = pending, start >= current.start, start <= current.end {
                pending = (current.start, max(current.end, end))
            } else {
                if let current = pending { try populator.populate(current.start, current.end) }
                pending = (start, end)
            }
        }
        if let current = pending { try populator.populate(current.start, current.end) }
    }

    /// Pre-faults participant `index`'s contiguous share of the region (vLLM 0.33's
    /// `populate_shard=(index, count)`): `share = roundUp(ceil(size / count), page)` bytes
    /// from `index * share`, clipped to the region; nothing when that starts past the end.
    static func prefaultShard(
        base: UnsafeMutableRawPointer, geometry: RegionGeometry, index: Int, count: Int,
        forceFallback: Bool
    ) throws(Errno) {
        guard
            let range = shardRange(
                size: geometry.fileSize, page: geometry.pageSize, index: index, count: count)
        else { return }
        var populator = Populator(
            base: base, pageSize: geometry.pageSize, useFallback: forceFallback)
        try populator.populate(range.lowerBound, range.upperBound)
    }

    /// The bytes `[start, end)` participant `index` of `count` pre-faults, or nil when its
    /// share starts at or past `size`.
    static func shardRange(size: Int, page: Int, index: Int, count: Int) -> Range<Int>? {
        let share = ((size + count - 1) / count + page - 1) & ~(page - 1)
        let start = min(index * share, size)
        guard start < size else { return nil }
        return start..<(start + min(share, size - start))
    }

    /// Write-faults every page of `[start, end)` without changing a byte, even while other
    /// processes write to the same pages.
    ///
    /// Why a compare-exchange of a byte with itself:
    /// - A plain read then write of the same value is a lost update: another process may
    ///   store between our read and our write, and we would put the old byte back.
    /// - An idempotent read-modify-write such as `fetch_add(0)` is rewritten by LLVM into an
    ///   atomic load (no write access, so no write fault, only a read fault).
    /// - `compareExchange(expected: v, desired: v)` stores only if the byte still equals `v`,
    ///   so it never loses a concurrent store; a successful exchange is a write, which makes
    ///   the kernel allocate the page and map it writable. If it fails, the byte changed under
    ///   us, we reload and try again (a concurrent writer cannot keep changing one byte
    ///   forever; and on x86 even a failed `lock cmpxchg` is a write access).
    static func touch(base: UnsafeMutableRawPointer, start: Int, end: Int, pageSize: Int) {
        var offset = start
        while offset < end {
            let atomic = UnsafeMutablePointer<Atomic<UInt8>>(OpaquePointer(base + offset))
            var value = atomic.pointee.load(ordering: .relaxed)
            while true {
                let (exchanged, original) = atomic.pointee.compareExchange(
                    expected: value, desired: value, ordering: .relaxed)
                if exchanged { break }
                value = original
            }
            offset += pageSize
        }
    }
}
