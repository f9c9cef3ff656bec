// The optional rendezvous: once all workers and the manager have mapped, the file is unlinked
// (mappings stay valid), so a later crash cannot leak /dev/shm space.
//
// Arrivals are a set of participant names (`rank<N>`, `manager`) in the sidecar, updated
// under an exclusive flock on the sidecar. The kernel drops a SIGKILLed process's lock, and
// a participant counts from the moment it arrived, so a crash after arriving neither blocks
// the others nor loses the arrival; arriving twice counts once.
import Glibc
import SystemPackage

extension SharedOffloadRegion {
    /// Where the rendezvous stands after an arrival.
    package enum RendezvousStatus: Equatable, Sendable {
        /// Still waiting for other participants.
        case waiting(arrived: Int, expected: Int)
        /// This arrival completed the rendezvous and unlinked the file and its sidecar.
        case completed
        /// The file this region maps is no longer at its path (an earlier completion, or
        /// the creator cleaned up); nothing was changed.
        case alreadyUnlinked
    }

    /// This opener's name in the rendezvous: `rank<N>` or `manager`.
    package var rendezvousParticipant: String { rank.map { "rank\($0)" } ?? "manager" }

    /// Records that this opener has mapped the region. When every rank `0..<numWorkers` and
    /// the manager have arrived, unlinks every segment file (only paths that still name the
    /// mapped inodes) and the sidecar. Mappings stay valid.
    /// - Throws: `SharedOffloadRegionError` when the sidecar cannot be read or written.
    package func arriveAtRendezvous() throws -> RendezvousStatus {
        checkMapped()
        let metaPath = sidecarPath
        // Bound: each retry means another process replaced or removed the sidecar between our
        // open and our lock; that cannot go on for long among one instance's participants.
        for _ in 0..<1000 {
            var fd = open(metaPath, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            if fd < 0 {
                guard errno == ENOENT else { throw sidecarError("open", errno) }
                // No sidecar: a vLLM creator does not write one. Create it, unless our file is
                // already gone from the path.
                guard pathNamesMappedFile() else { return .alreadyUnlinked }
                fd = open(metaPath, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
                if fd < 0 {
                    if errno == EEXIST { continue }
                    throw sidecarError("create", errno)
                }
            }
            defer { RegionSyscalls.close(fd) }
            try RegionMetadata.checkOwnedRegular(fd: fd, path: metaPath)
            RegionMetadata.lockRetrying(fd, LOCK_EX)
            defer { _ = flock(fd, LOCK_UN) }
            // Lock, then check the path still names the locked inode (it may have been
            // unlinked by a completing participant, or replaced by a new creator).
            guard let locked = try? FileStatus.of(descriptor: fd),
                let atPath = try? FileStatus.ofLink(atPath: metaPath), locked.sameInode(as: atPath)
            else { continue }
            guard pathNamesMappedFile() else {
                if locked.size == 0 { _ = unlink(metaPath) }  // The empty one we just created.
                return .alreadyUnlinked
            }
            let bytes = try RegionMetadata.readAll(fd: fd, path: metaPath)
            var meta: RegionMetadata
            if !bytes.isEmpty, let existing = try? RegionMetadata.decode(bytes, path: metaPath),
                existing.describes(fileStatus)
            {
                meta = existing
            } else {
                // Empty, unreadable or stale (describes another inode): describe ours.
                meta = freshMetadata(generation: 1)
            }
            var arrivals = Set(meta.rendezvousArrivals)
            arrivals.insert(rendezvousParticipant)
            let expected = Set((0..<numWorkers).map { "rank\($0)" } + ["manager"])
            if expected.isSubset(of: arrivals) {
                for (segment, status) in zip(segments, segmentStatuses) {
                    RegionSyscalls.unlinkIfSameInode(segment.path, expected: status)
                }
                _ = unlink(metaPath)  // Still ours: we hold its lock and checked its inode.
                return .completed
            }
            meta.rendezvousArrivals = arrivals.sorted()
            try meta.overwrite(fd: fd, path: metaPath)
            return .waiting(
                arrived: arrivals.intersection(expected).count, expected: expected.count)
        }
        throw SharedOffloadRegionError.sidecarUnreadable(
            path: metaPath, reason: "it kept being replaced while arriving at the rendezvous")
    }

    /// True when `path` still names the inode this region maps.
    package func pathNamesMappedFile() -> Bool {
        guard let current = try? FileStatus.ofLink(atPath: path) else { return false }
        return current.sameInode(as: fileStatus)
    }

    func freshMetadata(generation: Int) -> RegionMetadata {
        RegionMetadata(
            instanceID: instanceID, numBlocks: numBlocks, numWorkers: numWorkers,
            cpuPageSize: cpuPageSize, layout: layout.argument, pageSize: geometry.pageSize,
            rowStride: rowStride, fileSize: byteCount, generation: generation,
            regionDevice: fileStatus.device, regionInode: fileStatus.inode, creatorPID: 0,
            createdAtUnixSeconds: RegionOpener.unixNow(), segmentCount: segments.count)
    }

    private func sidecarError(_ operation: String, _ code: Int32) -> SharedOffloadRegionError {
        .system(operation: "\(operation) sidecar", path: sidecarPath, errno: Errno(rawValue: code))
    }
}
