import Glibc
import SystemPackage

// The sidecar metadata file `<region>.meta` (JSON): geometry, layout, generation, the inode it
// describes, and rendezvous arrivals. It lives next to the region, never inside it, so vLLM
// peers mapping the region see exactly the bytes they expect.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Contents of a region's sidecar file.
public struct RegionMetadata: Codable, Equatable, Sendable {
    /// Format of this JSON document.
    public var formatVersion: Int = 1
    public var instanceID: String
    public var numBlocks: Int
    public var numWorkers: Int
    public var cpuPageSize: Int
    /// `seed` or `page-aligned`.
    public var layout: String
    public var pageSize: Int
    public var rowStride: Int
    public var fileSize: Int
    /// 1 for the first region of this instance id in this directory, then +1 per re-creation
    /// while an older sidecar was still present.
    public var generation: Int
    /// `st_dev` / `st_ino` of the region file this sidecar describes. A sidecar naming another
    /// inode is stale (left by a crashed run) and is ignored.
    public var regionDevice: UInt64
    public var regionInode: UInt64
    public var creatorPID: Int32
    public var createdAtUnixSeconds: Double
    /// Rendezvous participants that have mapped and arrived: `rank<N>` or `manager`.
    public var rendezvousArrivals: [String] = []
    /// Backing files (`<path>`, `<path>.1`, ...); absent in sidecars of older Spillway
    /// versions, which always wrote one file.
    public var segmentCount: Int? = nil

    /// The sidecar path of a region path.
    public static func sidecarPath(forRegionPath path: String) -> String { path + ".meta" }

    /// True when this sidecar describes the inode `status`.
    public func describes(_ status: FileStatus) -> Bool {
        regionDevice == status.device && regionInode == status.inode
    }

    /// The geometry recorded here, for comparisons and messages.
    public var geometrySummary: String {
        "B=\(numBlocks) M=\(numWorkers) P=\(cpuPageSize) layout=\(layout) S=\(rowStride)"
    }

    /// Whether this sidecar's geometry equals `geometry`.
    public func matches(_ geometry: RegionGeometry) -> Bool {
        numBlocks == geometry.numBlocks && numWorkers == geometry.numWorkers
            && cpuPageSize == geometry.cpuPageSize && layout == geometry.layout.argument
            && rowStride == geometry.rowStride
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // Encoding plain numbers and strings cannot fail.
        return Array(try! encoder.encode(self)) + [0x0A]
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> RegionMetadata {
        do {
            return try JSONDecoder().decode(RegionMetadata.self, from: Data(bytes))
        } catch {
            throw SharedOffloadRegionError.sidecarUnreadable(
                path: path, reason: "invalid JSON: \(error)")
        }
    }

    // MARK: Reading and writing

    /// Reads the sidecar at `path` under a shared `flock`; nil when it does not exist or is
    /// empty. Refuses symlinks, non-regular files and files of other users.
    public static func read(path: String) throws -> RegionMetadata? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let e = errno
            if e == ENOENT { return nil }
            throw SharedOffloadRegionError.sidecarUnreadable(
                path: path, reason: "open failed: \(Errno(rawValue: e))")
        }
        defer { RegionSyscalls.close(fd) }
        try checkOwnedRegular(fd: fd, path: path)
        lockRetrying(fd, LOCK_SH)
        defer { _ = flock(fd, LOCK_UN) }
        let bytes = try readAll(fd: fd, path: path)
        return bytes.isEmpty ? nil : try decode(bytes, path: path)
    }

    /// Writes a fresh sidecar atomically: a private temp file (O_EXCL, 0600) renamed over `path`.
    func writeAtomically(to path: String) throws {
        let temp = path + ".tmp.\(getpid())"
        _ = unlink(temp)  // A leftover from a crashed process with our pid.
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SharedOffloadRegionError.system(
                operation: "create sidecar", path: temp, errno: Errno(rawValue: errno))
        }
        do {
            _ = fchmod(fd, 0o600)  // Exactly 0600 whatever the umask; best effort.
            try Self.writeAll(fd: fd, bytes: encoded(), path: temp)
            RegionSyscalls.close(fd)
        } catch {
            RegionSyscalls.close(fd)
            _ = unlink(temp)
            throw error
        }
        if rename(temp, path) != 0 {
            let e = errno
            _ = unlink(temp)
            throw SharedOffloadRegionError.system(
                operation: "rename sidecar to", path: path, errno: Errno(rawValue: e))
        }
    }

    /// Replaces the contents of the open, locked sidecar `fd` in place (keeps its inode, so
    /// other participants' locks stay meaningful).
    func overwrite(fd: Int32, path: String) throws {
        while ftruncate(fd, 0) != 0 {
            if errno != EINTR {
                throw SharedOffloadRegionError.system(
                    operation: "truncate sidecar", path: path, errno: Errno(rawValue: errno))
            }
        }
        try Self.writeAll(fd: fd, bytes: encoded(), path: path)
    }

    static func checkOwnedRegular(fd: Int32, path: String) throws {
        let status: FileStatus
        do { status = try FileStatus.of(descriptor: fd) } catch {
            throw SharedOffloadRegionError.system(operation: "fstat", path: path, errno: error)
        }
        guard status.isRegularFile else {
            throw SharedOffloadRegionError.notRegularFile(path: path, kind: status.kindDescription)
        }
        guard status.ownerUID == geteuid() else {
            throw SharedOffloadRegionError.foreignOwner(
                path: path, ownerUID: status.ownerUID, ourUID: geteuid())
        }
    }

    /// flock, retrying EINTR (a signal can interrupt a blocking lock; retrying is always safe).
    static func lockRetrying(_ fd: Int32, _ operation: Int32) {
        while flock(fd, operation) != 0 {
            precondition(errno == EINTR, "flock on an open regular file failed: errno \(errno)")
        }
    }

    static func readAll(fd: Int32, path: String) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var offset = 0
        while true {
            let n = chunk.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, $0.count, off_t(offset))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SharedOffloadRegionError.system(
                    operation: "read sidecar", path: path, errno: Errno(rawValue: errno))
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
            offset += n
            // A sidecar is a few hundred bytes; anything this large is not ours.
            if offset > 1 << 20 {
                throw SharedOffloadRegionError.sidecarUnreadable(
                    path: path, reason: "larger than 1 MiB")
            }
        }
    }

    static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                pwrite(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SharedOffloadRegionError.system(
                    operation: "write sidecar", path: path, errno: Errno(rawValue: errno))
            }
            offset += n
        }
    }
}
