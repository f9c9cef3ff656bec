// The creation protocol (docs/REGION.md) as vLLM 0.33 runs it: O_EXCL election, creator memory
// check, free-space check, sidecar, segment files sized before the first one, joiner wait,
// exact-size and ownership checks, one contiguous MAP_SHARED mapping over every segment, the
// caller's barrier (then the creator unlinks), and pre-faulting.
import Glibc
import Synchronization
import SystemPackage

/// One attempt to create or join a region's files; `open()` returns the mapping.
struct RegionOpener {
    let instanceID: String
    let path: String
    let directory: String
    let geometry: RegionGeometry
    /// The backing files, segment 0 (`path`) first.
    let segments: [RegionSegment]
    let rank: Int?
    let timeout: Duration
    let prefault: SharedOffloadRegion.PrefaultMode
    let barrier: (() throws -> Void)?
    let creatorMemoryCheck: ((Int) throws -> Void)?
    let populateShard: SharedOffloadRegion.PopulateShard?

    struct Opened {
        var isCreator: Bool
        var base: UnsafeMutableRawPointer
        /// dev/ino of every segment file, in segment order.
        var statuses: [FileStatus]
        /// True when the barrier returned and this creator unlinked the files.
        var unlinked: Bool
    }

    /// Joiners poll the file size this often (docs/REGION.md).
    static let pollIntervalMicroseconds: UInt32 = 5_000

    var sidecarPath: String { RegionMetadata.sidecarPath(forRegionPath: path) }

    /// Creates or joins, maps, passes the barrier (the creator then unlinks every file) and
    /// pre-faults. On a failure before the barrier it still joins the barrier as often as it
    /// would have, so peers do not hang, and rethrows the original error (a barrier failure
    /// during that is ignored).
    func open() throws -> Opened {
        var barriersLeft = barrier == nil ? 0 : (populateShard == nil ? 1 : 2)
        var opened: Opened? = nil
        do {
            opened = try elect()
            if let barrier {
                barriersLeft -= 1
                try barrier()
                if opened!.isCreator {
                    Self.unlinkFiles(
                        segments: segments, statuses: opened!.statuses, sidecar: sidecarPath)
                    opened!.unlinked = true
                }
            }
            do {
                if let shard = populateShard {
                    try RegionPrefault.prefaultShard(
                        base: opened!.base, geometry: geometry, index: shard.index,
                        count: shard.count, forceFallback: prefault == .touchFallback)
                } else {
                    try RegionPrefault.prefault(
                        base: opened!.base, geometry: geometry, rank: rank,
                        segmentCount: segments.count, forceFallback: prefault == .touchFallback)
                }
            } catch {
                throw SharedOffloadRegionError.system(
                    operation: "madvise(MADV_POPULATE_WRITE) (is the file system full?)",
                    path: path, errno: error)
            }
            if populateShard != nil, let barrier {
                barriersLeft -= 1
                try barrier()
            }
            return opened!
        } catch {
            if let opened {
                if opened.isCreator && !opened.unlinked {
                    Self.unlinkFiles(
                        segments: segments, statuses: opened.statuses, sidecar: sidecarPath)
                }
                munmap(opened.base, geometry.fileSize)
            }
            if let barrier {
                for _ in 0..<barriersLeft { try? barrier() }
            }
            throw error
        }
    }

    /// Unlinks the sidecar if it describes the first file, then every segment file that
    /// still names the inode in `statuses`. Files replaced since (another generation) are
    /// spared. The sidecar goes first: once a mapping shows "(deleted)", a process killed
    /// at that moment leaves nothing behind (RegionLeakTests kills it exactly then).
    static func unlinkFiles(segments: [RegionSegment], statuses: [FileStatus], sidecar: String) {
        if let first = statuses.first, let meta = try? RegionMetadata.read(path: sidecar),
            meta.describes(first)
        {
            _ = unlink(sidecar)
        }
        for (segment, status) in zip(segments, statuses) {
            RegionSyscalls.unlinkIfSameInode(segment.path, expected: status)
        }
    }

    /// The O_EXCL election: exactly one opener creates the files, the others join.
    private func elect() throws -> Opened {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            // The election: exactly one opener creates the file.
            let fd = Glibc.open(path, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { return try create(fd: fd) }
            let createErrno = errno
            if createErrno == EINTR { continue }
            guard createErrno == EEXIST else {
                throw SharedOffloadRegionError.system(
                    operation: "create", path: path, errno: Errno(rawValue: createErrno))
            }
            // O_NONBLOCK: opening a FIFO planted at the path must not hang; it has no effect
            // on regular files.
            let joinFD = Glibc.open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            if joinFD >= 0 {
                return try join(fd: joinFD, deadline: deadline)
            }
            let joinErrno = errno
            switch joinErrno {
            case EINTR:
                continue
            case ENOENT:
                // The creator failed and unlinked between our two opens: run the election
                // again, within the same deadline.
                if ContinuousClock.now >= deadline {
                    throw SharedOffloadRegionError.joinTimeout(
                        path: path, expectedBytes: segments[0].length, observedBytes: 0,
                        timeoutSeconds: Self.seconds(timeout))
                }
                usleep(Self.pollIntervalMicroseconds)
                continue
            case ELOOP:
                throw SharedOffloadRegionError.symlinkAtPath(path: path)
            case EACCES, EPERM:
                // Without privilege another user's 0600 file fails the open itself; say whose
                // it is rather than just "permission denied".
                if let status = (try? FileStatus.ofLink(atPath: path)) ?? nil,
                    status.ownerUID != geteuid()
                {
                    throw SharedOffloadRegionError.foreignOwner(
                        path: path, ownerUID: status.ownerUID, ourUID: geteuid())
                }
                throw SharedOffloadRegionError.system(
                    operation: "open", path: path, errno: Errno(rawValue: joinErrno))
            case EISDIR:
                throw SharedOffloadRegionError.notRegularFile(path: path, kind: "directory")
            case ENXIO, ENODEV, EOPNOTSUPP:
                let kind =
                    (try? FileStatus.ofLink(atPath: path))??.kindDescription ?? "special file"
                throw SharedOffloadRegionError.notRegularFile(path: path, kind: kind)
            default:
                throw SharedOffloadRegionError.system(
                    operation: "open", path: path, errno: Errno(rawValue: joinErrno))
            }
        }
    }

    // MARK: Creator

    private func create(fd: Int32) throws -> Opened {
        var wroteSidecar = false
        var others: [(fd: Int32, status: FileStatus)] = []
        do {
            // Exactly 0600 whatever the umask (a umask could drop our own write bit, and
            // joiners must open read/write).
            try fchmodOrThrow(fd, path)
            let status = try fstatOrThrow(fd, path)
            try creatorMemoryCheck?(geometry.fileSize)
            let free: Int
            do { free = try RegionSyscalls.freeBytes(directory: directory) } catch {
                throw SharedOffloadRegionError.system(
                    operation: "statvfs", path: directory, errno: error)
            }
            guard geometry.fileSize <= free else {
                throw SharedOffloadRegionError.insufficientSpace(
                    path: path, requiredBytes: geometry.fileSize, freeBytes: free)
            }
            // The sidecar goes in before the file gets its size: a joiner that sees the full
            // size can rely on the sidecar of a Spillway creator being there already.
            let previous = (try? RegionMetadata.read(path: sidecarPath)) ?? nil
            let meta = RegionMetadata(
                instanceID: instanceID, numBlocks: geometry.numBlocks,
                numWorkers: geometry.numWorkers, cpuPageSize: geometry.cpuPageSize,
                layout: geometry.layout.argument, pageSize: geometry.pageSize,
                rowStride: geometry.rowStride, fileSize: geometry.fileSize,
                generation: (previous?.generation ?? 0) + 1,
                regionDevice: status.device, regionInode: status.inode, creatorPID: getpid(),
                createdAtUnixSeconds: Self.unixNow(), segmentCount: segments.count)
            try meta.writeAtomically(to: sidecarPath)
            wroteSidecar = true
            for segment in segments.dropFirst() {
                others.append(try createSegment(segment))
                try ftruncateOrThrow(others.last!.fd, segment.length, segment.path)
            }
            // Joiners wait for the first file, so it is sized last.
            try ftruncateOrThrow(fd, segments[0].length, path)
            let base = try map(fds: [fd] + others.map(\.fd))
            for other in others { RegionSyscalls.close(other.fd) }
            RegionSyscalls.close(fd)
            return Opened(
                isCreator: true, base: base, statuses: [status] + others.map(\.status),
                unlinked: false)
        } catch {
            // docs/REGION.md: on any creator failure unlink the files, then close the descriptors.
            for (segment, other) in zip(segments.dropFirst(), others) {
                RegionSyscalls.unlinkIfSameInode(segment.path, expected: other.status)
                RegionSyscalls.close(other.fd)
            }
            if let status = try? FileStatus.of(descriptor: fd) {
                RegionSyscalls.unlinkIfSameInode(path, expected: status)
                if wroteSidecar, let meta = try? RegionMetadata.read(path: sidecarPath),
                    meta.describes(status)
                {
                    _ = unlink(sidecarPath)
                }
            } else {
                _ = unlink(path)
            }
            RegionSyscalls.close(fd)
            throw error
        }
    }

    /// Creates segment file `<path>.<i>` exclusively, 0600. A leftover of an earlier run is
    /// refused (`segment-exists`), never reused or removed.
    private func createSegment(_ segment: RegionSegment) throws -> (fd: Int32, status: FileStatus) {
        var fd: Int32
        repeat {
            fd = Glibc.open(segment.path, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let e = errno
            if e == EEXIST { throw SharedOffloadRegionError.segmentExists(path: segment.path) }
            throw SharedOffloadRegionError.system(
                operation: "create", path: segment.path, errno: Errno(rawValue: e))
        }
        do {
            try fchmodOrThrow(fd, segment.path)
            return (fd, try fstatOrThrow(fd, segment.path))
        } catch {
            _ = unlink(segment.path)
            RegionSyscalls.close(fd)
            throw error
        }
    }

    // MARK: Joiner

    private func join(fd: Int32, deadline: ContinuousClock.Instant) throws -> Opened {
        var fds = [fd]
        defer { for each in fds { RegionSyscalls.close(each) } }
        var status = try fstatOrThrow(fd, path)
        // Checks on the open descriptor, not the path: nothing can swap the file between
        // the check and the use.
        try checkJoinable(status, path)
        // The creator's ftruncate takes the size from 0 to its length in one step, so 0 means
        // "not sized yet" and any other wrong size is a stale or foreign file.
        while status.size == 0 {
            // A failed creator unlinks its file before closing it: an inode without a name
            // can never be sized, so fail at once (as vLLM's joiners do).
            if RegionSyscalls.linkCount(of: fd) == 0 {
                throw SharedOffloadRegionError.creatorFailed(path: path)
            }
            if ContinuousClock.now >= deadline {
                throw SharedOffloadRegionError.joinTimeout(
                    path: path, expectedBytes: segments[0].length, observedBytes: 0,
                    timeoutSeconds: Self.seconds(timeout))
            }
            usleep(Self.pollIntervalMicroseconds)
            status = try fstatOrThrow(fd, path)
        }
        // The sidecar is advisory: an unreadable or stale one (another inode) is ignored,
        // so a leftover can never stop a join; only a sidecar of this very file counts.
        if let meta = (try? RegionMetadata.read(path: sidecarPath)) ?? nil,
            meta.describes(status),
            !meta.matches(geometry) || (meta.segmentCount ?? 1) != segments.count
        {
            throw SharedOffloadRegionError.geometryMismatch(
                path: path, expected: geometry.summary + " segments=\(segments.count)",
                found: meta.geometrySummary + " segments=\(meta.segmentCount ?? 1)")
        }
        guard status.size == segments[0].length else {
            throw SharedOffloadRegionError.sizeMismatch(
                path: path, expectedBytes: segments[0].length, actualBytes: status.size)
        }
        var statuses = [status]
        for segment in segments.dropFirst() {
            let other = try openSegment(segment)
            fds.append(other)
            let otherStatus = try fstatOrThrow(other, segment.path)
            try checkJoinable(otherStatus, segment.path)
            guard otherStatus.size == segment.length else {
                throw SharedOffloadRegionError.sizeMismatch(
                    path: segment.path, expectedBytes: segment.length,
                    actualBytes: otherStatus.size)
            }
            statuses.append(otherStatus)
        }
        let base = try map(fds: fds)
        return Opened(isCreator: false, base: base, statuses: statuses, unlinked: false)
    }

    /// A joiner maps only regular files of its own user.
    private func checkJoinable(_ status: FileStatus, _ file: String) throws {
        guard status.isRegularFile else {
            throw SharedOffloadRegionError.notRegularFile(path: file, kind: status.kindDescription)
        }
        guard status.ownerUID == geteuid() else {
            throw SharedOffloadRegionError.foreignOwner(
                path: file, ownerUID: status.ownerUID, ourUID: geteuid())
        }
    }

    /// Opens segment file `<path>.<i>` of a sized region read/write.
    private func openSegment(_ segment: RegionSegment) throws -> Int32 {
        while true {
            let fd = Glibc.open(segment.path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            if fd >= 0 { return fd }
            let e = errno
            switch e {
            case EINTR: continue
            case ENOENT:
                throw SharedOffloadRegionError.segmentMissing(
                    path: segment.path, segments: segments.count)
            case ELOOP: throw SharedOffloadRegionError.symlinkAtPath(path: segment.path)
            default:
                throw SharedOffloadRegionError.system(
                    operation: "open", path: segment.path, errno: Errno(rawValue: e))
            }
        }
    }

    // MARK: Mapping

    /// Maps the files back to back into one contiguous range: one file is mapped directly;
    /// several are mapped `MAP_FIXED` over a reserved anonymous range, each at its offset.
    private func map(fds: [Int32]) throws -> UnsafeMutableRawPointer {
        let failed = UnsafeMutableRawPointer(bitPattern: -1)
        if segments.count == 1 {
            let raw = mmap(nil, geometry.fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0)
            guard let raw, raw != failed else {
                throw SharedOffloadRegionError.system(
                    operation: "mmap", path: path, errno: Errno(rawValue: errno))
            }
            return raw
        }
        let reserved = mmap(
            nil, geometry.fileSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let reserved, reserved != failed else {
            throw SharedOffloadRegionError.system(
                operation: "mmap (reserve)", path: path, errno: Errno(rawValue: errno))
        }
        for (segment, fd) in zip(segments, fds) {
            let want = reserved + segment.offset
            let got = mmap(
                want, segment.length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
            guard got == want else {
                let e = errno
                munmap(reserved, geometry.fileSize)
                throw SharedOffloadRegionError.system(
                    operation: "mmap", path: segment.path, errno: Errno(rawValue: e))
            }
        }
        return reserved
    }

    private func fstatOrThrow(_ fd: Int32, _ file: String) throws -> FileStatus {
        do { return try FileStatus.of(descriptor: fd) } catch {
            throw SharedOffloadRegionError.system(operation: "fstat", path: file, errno: error)
        }
    }

    private func fchmodOrThrow(_ fd: Int32, _ file: String) throws {
        while fchmod(fd, 0o600) != 0 {
            if errno == EINTR { continue }
            throw SharedOffloadRegionError.system(
                operation: "fchmod", path: file, errno: Errno(rawValue: errno))
        }
    }

    private func ftruncateOrThrow(_ fd: Int32, _ length: Int, _ file: String) throws {
        while ftruncate(fd, off_t(length)) != 0 {
            if errno == EINTR { continue }
            throw SharedOffloadRegionError.system(
                operation: "ftruncate", path: file, errno: Errno(rawValue: errno))
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    static func unixNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
