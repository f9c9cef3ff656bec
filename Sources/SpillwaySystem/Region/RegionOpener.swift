// The creation protocol of docs/REGION.md: O_EXCL election, free-space check, sidecar, ftruncate,
// joiner wait, exact-size and ownership checks, MAP_SHARED mapping and pre-faulting.
import Glibc
import Synchronization
import SystemPackage

/// One attempt to create or join a region file; `open()` returns the mapping.
struct RegionOpener {
    let instanceID: String
    let path: String
    let directory: String
    let geometry: RegionGeometry
    let rank: Int?
    let timeout: Duration
    let prefault: SharedOffloadRegion.PrefaultMode

    struct Opened {
        var isCreator: Bool
        var base: UnsafeMutableRawPointer
        var status: FileStatus
    }

    /// Joiners poll the file size this often (docs/REGION.md).
    static let pollIntervalMicroseconds: UInt32 = 5_000

    var sidecarPath: String { RegionMetadata.sidecarPath(forRegionPath: path) }

    func open() throws -> Opened {
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
                do { return try join(fd: joinFD, deadline: deadline) } catch is CreatorVanished {
                    continue  // Its creator failed and unlinked it: run the election again.
                }
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
                        path: path, expectedBytes: geometry.fileSize, observedBytes: 0,
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
        do {
            // Exactly 0600 whatever the umask (a umask could drop our own write bit, and
            // joiners must open read/write).
            while fchmod(fd, 0o600) != 0 {
                if errno == EINTR { continue }
                throw SharedOffloadRegionError.system(
                    operation: "fchmod", path: path, errno: Errno(rawValue: errno))
            }
            let status = try fstatOrThrow(fd)
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
                createdAtUnixSeconds: Self.unixNow())
            try meta.writeAtomically(to: sidecarPath)
            wroteSidecar = true
            while ftruncate(fd, off_t(geometry.fileSize)) != 0 {
                if errno == EINTR { continue }
                throw SharedOffloadRegionError.system(
                    operation: "ftruncate", path: path, errno: Errno(rawValue: errno))
            }
            let base = try mapAndPrefault(fd: fd)
            RegionSyscalls.close(fd)
            return Opened(isCreator: true, base: base, status: status)
        } catch {
            // docs/REGION.md: on any creator failure unlink the file, then close the descriptor.
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

    // MARK: Joiner

    /// The file a joiner waits on was unlinked while still unsized (its creator failed).
    struct CreatorVanished: Error {}

    private func join(fd: Int32, deadline: ContinuousClock.Instant) throws -> Opened {
        do {
            var status = try fstatOrThrow(fd)
            // Checks on the open descriptor, not the path: nothing can swap the file between
            // the check and the use.
            guard status.isRegularFile else {
                throw SharedOffloadRegionError.notRegularFile(
                    path: path, kind: status.kindDescription)
            }
            guard status.ownerUID == geteuid() else {
                throw SharedOffloadRegionError.foreignOwner(
                    path: path, ownerUID: status.ownerUID, ourUID: geteuid())
            }
            // The creator's ftruncate takes the size from 0 to B*S in one step, so 0 means
            // "not sized yet" and any other wrong size is a stale or foreign file.
            while status.size == 0 {
                // A failed creator unlinks its file before closing it: an inode without a
                // name can never be sized, so waiting on it would only run into the timeout.
                if RegionSyscalls.linkCount(of: fd) == 0 { throw CreatorVanished() }
                if ContinuousClock.now >= deadline {
                    throw SharedOffloadRegionError.joinTimeout(
                        path: path, expectedBytes: geometry.fileSize, observedBytes: 0,
                        timeoutSeconds: Self.seconds(timeout))
                }
                usleep(Self.pollIntervalMicroseconds)
                status = try fstatOrThrow(fd)
            }
            // The sidecar is advisory: an unreadable or stale one (another inode) is ignored,
            // so a leftover can never stop a join; only a sidecar of this very file counts.
            if let meta = (try? RegionMetadata.read(path: sidecarPath)) ?? nil,
                meta.describes(status),
                !meta.matches(geometry)
            {
                throw SharedOffloadRegionError.geometryMismatch(
                    path: path, expected: geometry.summary, found: meta.geometrySummary)
            }
            guard status.size == geometry.fileSize else {
                throw SharedOffloadRegionError.sizeMismatch(
                    path: path, expectedBytes: geometry.fileSize, actualBytes: status.size)
            }
            let base = try mapAndPrefault(fd: fd)
            RegionSyscalls.close(fd)
            return Opened(isCreator: false, base: base, status: status)
        } catch {
            RegionSyscalls.close(fd)
            throw error
        }
    }

    // MARK: Mapping

    private func mapAndPrefault(fd: Int32) throws -> UnsafeMutableRawPointer {
        let raw = mmap(nil, geometry.fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let raw, raw != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw SharedOffloadRegionError.system(
                operation: "mmap", path: path, errno: Errno(rawValue: errno))
        }
        do {
            try RegionPrefault.prefault(
                base: raw, geometry: geometry, rank: rank, forceFallback: prefault == .touchFallback
            )
        } catch {
            munmap(raw, geometry.fileSize)
            throw SharedOffloadRegionError.system(
                operation: "madvise(MADV_POPULATE_WRITE) (is the file system full?)", path: path,
                errno: error)
        }
        return raw
    }

    private func fstatOrThrow(_ fd: Int32) throws -> FileStatus {
        do { return try FileStatus.of(descriptor: fd) } catch {
            throw SharedOffloadRegionError.system(operation: "fstat", path: path, errno: error)
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
