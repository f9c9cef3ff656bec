// Which live processes map or hold open which inodes, from /proc/<pid>/maps and /proc/<pid>/fd.
import Glibc

/// A snapshot of file usage by live processes, keyed by (device, inode).
public struct ProcessFileUsage: Sendable {
    public struct Key: Hashable, Sendable {
        public var device: UInt64
        public var inode: UInt64
    }

    /// Processes mapping each inode (from /proc/<pid>/maps).
    public private(set) var mappingPIDs: [Key: Set<Int32>] = [:]
    /// Processes holding each inode open (from /proc/<pid>/fd).
    public private(set) var openPIDs: [Key: Set<Int32>] = [:]
    /// Processes whose maps could not be read (another user's, without privilege). A region
    /// only they use would look unused, so `region clean` refuses to guess when this is not 0
    /// and the region is not ours.
    public private(set) var unreadableProcessCount = 0

    /// Scans every process in `/proc`.
    public static func scan(procRoot: String = "/proc") -> ProcessFileUsage {
        var usage = ProcessFileUsage()
        guard let dir = opendir(procRoot) else { return usage }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = Int32(name) else { continue }
            if !usage.scanMaps(path: "\(procRoot)/\(name)/maps", pid: pid),
                errno == EACCES || errno == EPERM
            {
                usage.unreadableProcessCount += 1  // Not counted: processes that just exited.
            }
            usage.scanFDs(directory: "\(procRoot)/\(name)/fd", pid: pid)
        }
        return usage
    }

    /// PIDs that map the file `status`.
    public func mappers(of status: FileStatus) -> Set<Int32> {
        mappingPIDs[Key(device: status.device, inode: status.inode)] ?? []
    }

    /// PIDs that map or hold open the file `status`.
    public func users(of status: FileStatus) -> Set<Int32> {
        let key = Key(device: status.device, inode: status.inode)
        return (mappingPIDs[key] ?? []).union(openPIDs[key] ?? [])
    }

    /// Parses lines like `7f..-7f.. rw-s 00000000 00:1a 12345   /dev/shm/x (deleted)`.
    private mutating func scanMaps(path: String, pid: Int32) -> Bool {
        guard let text = Self.readSmallFile(path) else { return false }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, let inode = UInt64(fields[4]), inode != 0 else { continue }
            let dev = fields[3].split(separator: ":")
            guard dev.count == 2, let major = UInt64(dev[0], radix: 16),
                let minor = UInt64(dev[1], radix: 16)
            else { continue }
            let key = Key(device: Self.makeDevice(major: major, minor: minor), inode: inode)
            mappingPIDs[key, default: []].insert(pid)
        }
        return true
    }

    private mutating func scanFDs(directory: String, pid: Int32) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard Int(name) != nil else { continue }
            // stat follows the fd's magic link to the open file itself.
            guard let status = try? FileStatus.of(path: "\(directory)/\(name)"),
                status.isRegularFile
            else { continue }
            openPIDs[Key(device: status.device, inode: status.inode), default: []].insert(pid)
        }
    }

    /// glibc's makedev: the 64-bit dev_t encoding Linux uses for `st_dev`.
    static func makeDevice(major: UInt64, minor: UInt64) -> UInt64 {
        (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32)
    }

    /// Reads a /proc text file (size 0 in stat, so read until EOF).
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }  // errno tells the caller why.
        defer { RegionSyscalls.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
