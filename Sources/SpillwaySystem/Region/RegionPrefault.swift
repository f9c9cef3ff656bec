// Pre-faulting a mapped region: MADV_POPULATE_WRITE, or a non-destructive touch per page.
import Glibc
import Synchronization
import SystemPackage

enum RegionPrefault {
    /// `MADV_POPULATE_WRITE` (Linux 5.14); Glibc headers of older distributions lack it.
    static let madvPopulateWrite: Int32 = 23

    /// Pre-faults writable pages: the whole region for the manager (`rank == nil`), only the
    /// pages holding this worker's slots for a ranked opener.
    /// - Throws: `Errno` when the kernel cannot populate (for example ENOMEM, EFAULT when
    ///   tmpfs is full).
    static func prefault(
        base: UnsafeMutableRawPointer, geometry: RegionGeometry, rank: Int?, forceFallback: Bool
    ) throws(Errno) {
        var useFallback = forceFallback
        func populate(_ start: Int, _ end: Int) throws(Errno) {
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
            touch(base: base, start: start, end: end, pageSize: geometry.pageSize)
        }

        let page = geometry.pageSize
        guard let rank else {
            try populate(0, geometry.fileSize)
            return
        }
        // Page ranges of this worker's slots, merged when consecutive slots share or touch
        // pages (e.g. M = 1, or P*M smaller than a page).
        var pending: (start: Int, end: Int)? = nil
        for block in 0..<geometry.numBlocks {
            let slot = geometry.slotOffset(block: block, rank: rank)
            let start = slot & ~(page - 1)
            let end = min((slot + geometry.cpuPageSize + page - 1) & ~(page - 1), geometry.fileSize)
            if let current = pending, start <= current.end {
                pending = (current.start, max(current.end, end))
            } else {
                if let current = pending { try populate(current.start, current.end) }
                pending = (start, end)
            }
        }
        if let current = pending { try populate(current.start, current.end) }
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
