// The few fields of stat(2) the region needs, read with fstat/lstat/stat and EINTR retried.
import Glibc
import SystemPackage

/// Identity, size, owner and type of a file, from `stat(2)`.
public struct FileStatus: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int
    public var ownerUID: UInt32
    public var mode: UInt32
    public var modificationTimeSeconds: Int

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int(st.st_size)
        ownerUID = UInt32(st.st_uid)
        mode = UInt32(st.st_mode)
        modificationTimeSeconds = Int(st.st_mtim.tv_sec)
    }

    /// True for a regular file.
    public var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
    /// True for a symbolic link (only from `lstat`).
    public var isSymbolicLink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
    /// Permission bits, e.g. 0o600.
    public var permissions: UInt32 { mode & 0o7777 }

    /// What kind of file this is, in words, for error messages.
    public var kindDescription: String {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): return "regular file"
        case UInt32(S_IFDIR): return "directory"
        case UInt32(S_IFLNK): return "symbolic link"
        case UInt32(S_IFIFO): return "FIFO"
        case UInt32(S_IFSOCK): return "socket"
        case UInt32(S_IFCHR): return "character device"
        case UInt32(S_IFBLK): return "block device"
        default: return "file of unknown type"
        }
    }

    /// Whether two statuses name the same inode.
    public func sameInode(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
    }

    /// `fstat(fd)`.
    static func of(descriptor fd: Int32) throws(Errno) -> FileStatus {
        var st = stat()
        while fstat(fd, &st) != 0 {
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
        return FileStatus(st)
    }

    /// `lstat(path)` (does not follow a final symlink); nil when the path does not exist.
    static func ofLink(atPath path: String) throws(Errno) -> FileStatus? {
        var st = stat()
        while lstat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
        return FileStatus(st)
    }

    /// `stat(path)` (follows symlinks); nil when the path does not exist.
    static func of(path: String) throws(Errno) -> FileStatus? {
        var st = stat()
        while stat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
        return FileStatus(st)
    }
}

/// Small syscall helpers shared by the region code.
enum RegionSyscalls {
    /// Unlinks `path` only if it still names the inode `expected` (device and inode equal).
    /// Returns true when it unlinked. The check and the unlink are two steps; the caller holds
    /// the inode mapped (or open), so the kernel cannot reuse its number in between, and a
    /// replacement file renamed in at that instant is the only window left.
    @discardableResult
    static func unlinkIfSameInode(_ path: String, expected: FileStatus) -> Bool {
        guard let current = try? FileStatus.ofLink(atPath: path), current.sameInode(as: expected)
        else { return false }
        return unlink(path) == 0
    }

    /// The number of names (hard links) of the open file `fd`; nil when fstat fails.
    static func linkCount(of fd: Int32) -> Int? {
        var st = stat()
        while fstat(fd, &st) != 0 {
            if errno != EINTR { return nil }
        }
        return Int(st.st_nlink)
    }

    /// close(2), ignoring EINTR (on Linux the descriptor is released even then).
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// The system page size.
    static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Free bytes for an unprivileged writer on the file system holding `directory`.
    static func freeBytes(directory: String) throws(Errno) -> Int {
        var vfs = statvfs()
        while statvfs(directory, &vfs) != 0 {
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
        let (bytes, overflow) = Int(vfs.f_bavail).multipliedReportingOverflow(by: Int(vfs.f_frsize))
        return overflow ? Int.max : bytes
    }
}
