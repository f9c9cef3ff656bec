// Operating errors of the shared offload region; every message says what to do about it.
import SystemPackage

/// Why opening, creating or using a shared offload region failed.
public enum SharedOffloadRegionError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The instance id cannot be used as a file-name component.
    case invalidInstanceID(id: String, reason: String)
    /// A count is not positive, a rank is out of range, or a size overflows.
    case invalidGeometry(String)
    /// The file system holding the region has less free space than the region needs.
    case insufficientSpace(path: String, requiredBytes: Int, freeBytes: Int)
    /// A creator memory check refused the region (`spillway region create --memory-limit-bytes`).
    case memoryLimit(path: String, requiredBytes: Int, limitBytes: Int)
    /// A joiner waited `timeoutSeconds` and the file never reached the expected size.
    case joinTimeout(path: String, expectedBytes: Int, observedBytes: Int, timeoutSeconds: Double)
    /// An existing file has a different size than this geometry needs (stale or foreign).
    case sizeMismatch(path: String, expectedBytes: Int, actualBytes: Int)
    /// The file a joiner waited on was unlinked before it was sized: its creator failed.
    case creatorFailed(path: String)
    /// A creator found a segment file (`<path>.<i>`) already there, left by an earlier run.
    case segmentExists(path: String)
    /// A joiner found the first file sized but another segment file missing.
    case segmentMissing(path: String, segments: Int)
    /// The sidecar of the existing region records a different geometry.
    case geometryMismatch(path: String, expected: String, found: String)
    /// The region path is a symbolic link.
    case symlinkAtPath(path: String)
    /// The region path names a directory, FIFO, device or socket.
    case notRegularFile(path: String, kind: String)
    /// The region file belongs to another user.
    case foreignOwner(path: String, ownerUID: UInt32, ourUID: UInt32)
    /// `createNextView` would run past the end of the worker's slot.
    case slotOverflow(rank: Int, requestedBytes: Int, remainingBytes: Int, overflowBytes: Int)
    /// `createNextCanonicalView` would run past the end of the row.
    case canonicalOverflow(requestedBytes: Int, remainingBytes: Int)
    /// `createNextView` was called on a region opened with `rank: nil` (the manager).
    case notRanked
    /// The sidecar metadata file exists but cannot be read.
    case sidecarUnreadable(path: String, reason: String)
    /// A system call failed.
    case system(operation: String, path: String, errno: Errno)

    /// A stable, machine-readable code for scripts and tests.
    public var code: String {
        switch self {
        case .invalidInstanceID: return "invalid-instance-id"
        case .invalidGeometry: return "invalid-geometry"
        case .insufficientSpace: return "insufficient-space"
        case .memoryLimit: return "memory-limit"
        case .joinTimeout: return "join-timeout"
        case .sizeMismatch: return "size-mismatch"
        case .creatorFailed: return "creator-failed"
        case .segmentExists: return "segment-exists"
        case .segmentMissing: return "segment-missing"
        case .canonicalOverflow: return "canonical-overflow"
        case .geometryMismatch: return "geometry-mismatch"
        case .symlinkAtPath: return "symlink-at-path"
        case .notRegularFile: return "not-regular-file"
        case .foreignOwner: return "foreign-owner"
        case .slotOverflow: return "slot-overflow"
        case .notRanked: return "not-ranked"
        case .sidecarUnreadable: return "sidecar-unreadable"
        case .system: return "system"
        }
    }

    public var description: String {
        switch self {
        case .invalidInstanceID(let id, let reason):
            return "invalid instance id \(String(reflecting: id)): \(reason). Use a non-empty id "
                + "of at most \(InstanceID.maxByteCount) bytes without '/', '..' or NUL."
        case .invalidGeometry(let what):
            return "invalid region geometry: \(what)."
        case .insufficientSpace(let path, let required, let free):
            return
                "\(path): the file system has \(free) bytes (\(Self.human(free))) free, the region "
                + "needs \(required) bytes (\(Self.human(required))). Free space there (see "
                + "`spillway region clean`), raise the tmpfs size, or lower numBlocks."
        case .memoryLimit(let path, let required, let limit):
            return
                "\(path): the region needs \(required) bytes (\(Self.human(required))), the creator's "
                + "memory limit is \(limit) bytes (\(Self.human(limit))). Lower numBlocks or the "
                + "slot size, or raise the limit."
        case .joinTimeout(let path, let expected, let observed, let seconds):
            return
                "\(path): waited \(seconds) s for the creator to size the file to \(expected) bytes, "
                + "it is still \(observed) bytes. Its creator probably crashed: if no process maps it "
                + "(`spillway region list`), remove it (`spillway region clean` or `rm \(path)`) and retry, "
                + "or raise the timeout."
        case .sizeMismatch(let path, let expected, let actual):
            return
                "\(path) is \(actual) bytes but this geometry needs exactly \(expected): another "
                + "geometry or segment count (numBlocks, numWorkers, cpuPageSize, layout, "
                + "numSegments: every participant must pass the same), or a stale region from an "
                + "earlier run. If `spillway region list` shows a process mapping it, fix the "
                + "geometry; if none does, remove it with `spillway region clean` or `rm \(path)*`, "
                + "or use another instance id."
        case .creatorFailed(let path):
            return
                "\(path): the shared offload region creator failed during initialization (it "
                + "removed the file before sizing it). See the creating process's error, fix it, "
                + "then start every participant again."
        case .segmentExists(let path):
            return
                "\(path) already exists: a segment file left by an earlier run of this instance "
                + "id. If no process maps it (`spillway region list`), remove it with `spillway "
                + "region clean` or `rm \(path)`, or use another instance id."
        case .segmentMissing(let path, let segments):
            return
                "\(path) is missing: this geometry splits the region over \(segments) files, the "
                + "creator made fewer (another numSegments) or the files were already unlinked "
                + "(a late joiner). Start every participant with the same numSegments, together."
        case .geometryMismatch(let path, let expected, let found):
            return "\(path) was created with geometry \(found), this opener expects \(expected). "
                + "Start every worker and the manager with the same numBlocks, numWorkers, "
                + "cpuPageSize, layout and numSegments, or use another instance id."
        case .symlinkAtPath(let path):
            return "\(path) is a symbolic link; refusing to follow it. Remove the link "
                + "(`rm \(path)`) or use another directory."
        case .notRegularFile(let path, let kind):
            return "\(path) is a \(kind), not a regular file. Remove it or use another instance id."
        case .foreignOwner(let path, let owner, let ours):
            return
                "\(path) is owned by uid \(owner), not by this process (uid \(ours)); refusing to "
                + "share memory with another user. Run as uid \(owner), or remove the file."
        case .slotOverflow(let rank, let requested, let remaining, let overflow):
            return "createNextView(tensorPageSize: \(requested)) overflows rank \(rank)'s slot by "
                + "\(overflow) byte\(overflow == 1 ? "" : "s") (\(remaining) bytes left). cpuPageSize must be at least the sum "
                + "of this worker's tensor page sizes."
        case .canonicalOverflow(let requested, let remaining):
            return "createNextCanonicalView(tensorPageSize: \(requested)) runs past the end of the "
                + "row (\(remaining) bytes left). The canonical tensor pages of one row must add "
                + "up to at most rowStride."
        case .notRanked:
            return "createNextView needs a ranked region; this one was opened with rank: nil "
                + "(the manager). Open it with the worker's rank."
        case .sidecarUnreadable(let path, let reason):
            return "\(path): cannot read region metadata (\(reason)). Remove the sidecar if no "
                + "process maps the region (`spillway region clean`)."
        case .system(let operation, let path, let errno):
            return "\(operation) \(path) failed: \(errno) (errno \(errno.rawValue))."
        }
    }

    static func human(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1024, index < units.count - 1 {
            value /= 1024
            index += 1
        }
        return index == 0 ? "\(bytes) B" : "\((value * 10).rounded() / 10) \(units[index])"
    }
}
