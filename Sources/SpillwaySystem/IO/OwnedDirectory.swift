// The directory an I/O backend owns: created 0700, checked for hostile setups, held open by
// descriptor so every later file operation is relative to it (no path races).
import CSpillwayURing
import Glibc
import SpillwayCore

struct OwnedDirectory {
    /// Name prefix of the probe file used where O_TMPFILE is not supported; `listFiles`
    /// hides such leftovers.
    static let probePrefix = ".spillway-direct-io-probe-"

    let path: String
    /// O_DIRECTORY|O_NOFOLLOW descriptor of the directory itself.
    let descriptor: Int32

    /// Opens `path` and locks it for `access` (see `lock`). The exclusive opener creates it
    /// (and missing parents) with mode 0700 when it does not exist; a reader never creates.
    ///
    /// - Throws: `IOBackendError` when `path` is empty, a symlink, not a directory, owned by
    ///   another user, writable by group or others, cannot be created or opened, or is
    ///   locked by another opener.
    static func open(_ path: String, access: DirectoryAccess = .exclusive) throws
        -> OwnedDirectory
    {
        if path.isEmpty {
            throw IOBackendError(
                operation: "open directory", path: path, errno: EINVAL,
                message: "the directory path is empty: give a directory (e.g. --disk-dir /var/tmp/spillway)")
        }
        if access == .exclusive { try createMissing(path) }
        var info = stat()
        if lstat(path, &info) != 0 {
            throw failure("stat", path, errno, "cannot inspect the directory")
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFLNK {
            throw failure(
                "open directory", path, ELOOP,
                "is a symbolic link; pass the real directory (a link could redirect the files "
                    + "somewhere another user controls)")
        }
        if type != S_IFDIR {
            throw failure("open directory", path, ENOTDIR, "exists and is not a directory")
        }
        if info.st_uid != geteuid() {
            throw failure(
                "open directory", path, EPERM,
                "is owned by uid \(info.st_uid), not by this process (uid \(geteuid())); "
                    + "use a directory you own")
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            throw failure(
                "open directory", path, EPERM,
                "is writable by group or others (mode "
                    + String(info.st_mode & 0o777, radix: 8)
                    + "); run `chmod 700 \(path)` or use a private directory")
        }
        let descriptor = SystemCall.retryingInterrupts {
            Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        if descriptor < 0 {
            throw failure("open directory", path, errno, "cannot open the directory")
        }
        // The directory checked by path could have been swapped before the open: check the
        // one we hold.
        var held = stat()
        if fstat(descriptor, &held) != 0 || held.st_ino != info.st_ino
            || held.st_dev != info.st_dev
        {
            close(descriptor)
            throw failure("open directory", path, EAGAIN, "changed while being opened; retry")
        }
        let owned = OwnedDirectory(path: path, descriptor: descriptor)
        do { try owned.lock(access) } catch {
            close(descriptor)
            throw error
        }
        return owned
    }

    /// mkdir -p with mode 0700 for every component it creates.
    private static func createMissing(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 { return }
        let parent = parentPath(path)
        if parent != path && !parent.isEmpty { try createMissing(parent) }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw failure("create directory", path, errno, "cannot create the directory")
        }
    }

    private static func parentPath(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    static func failure(_ operation: String, _ path: String, _ code: Int32, _ what: String)
        -> IOBackendError
    {
        IOBackendError(
            operation: operation, path: path, errno: code,
            message: "\(what) (\(SystemCall.message(code)))")
    }

    /// Checks a file name for use inside the directory: one path component, no traversal.
    func validate(_ name: String) throws {
        if name.isEmpty || name == "." || name == ".." || name.contains("/")
            || name.utf8.contains(0)
        {
            throw IOBackendError(
                operation: "open", path: "\(path)/\(name)", errno: EINVAL,
                message: "file name must be a single path component (no '/', '.', '..')")
        }
    }

    /// The directory's absolute path with symlinks resolved (what a striped tier records in
    /// its manifest), or `path` when it cannot be resolved.
    var resolvedPath: String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Refuses a list naming one directory twice (by device and inode when it exists, by
    /// resolved path otherwise), before any of them is opened and locked: the second lock
    /// would only say the directory is in use by this very process.
    static func refuseRepeats(_ paths: [String]) throws {
        var seen: [(identity: String, path: String)] = []
        for path in paths {
            var info = stat()
            let identity: String
            if stat(path, &info) == 0 {
                identity = "\(info.st_dev):\(info.st_ino)"
            } else {
                identity = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
            }
            if let earlier = seen.first(where: { $0.identity == identity }) {
                throw IOBackendError(
                    operation: "open directory", path: path, errno: EINVAL,
                    message: "is the same directory as \(earlier.path): give each directory once (one per device)")
            }
            seen.append((identity, path))
        }
    }

    /// Full path of `name`, for messages.
    func pathOf(_ name: String) -> String { path.hasSuffix("/") ? path + name : path + "/" + name }

    /// Probes whether this directory's file system really does direct I/O: a probe file
    /// opened O_DIRECT must take an aligned 4 KiB write and refuse an unaligned one.
    /// tmpfs before Linux 6.6 refuses the open (EINVAL); since 6.6 it accepts the flag but
    /// still serves I/O from the page cache, which shows as an accepted unaligned write.
    /// Either way it is not direct I/O.
    ///
    /// - Returns: true when O_DIRECT bypasses the page cache here.
    /// - Throws: `IOBackendError` when the probe file cannot be created or written for a
    ///   reason other than O_DIRECT support (e.g. ENOSPC, EACCES).
    func probeDirectIO() throws -> Bool {
        // An unnamed O_TMPFILE leaves nothing behind even if we die mid-probe; file systems
        // without it get a named probe file, removed right away.
        let direct = O_RDWR | O_CLOEXEC | spw_open_direct_flag()
        var name: String? = nil
        var fd = SystemCall.retryingInterrupts {
            openat(descriptor, ".", direct | spw_open_tmpfile_flag(), 0o600)
        }
        if fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR) {
            let probeName = Self.probePrefix + String(getpid())
            unlinkat(descriptor, probeName, 0)
            name = probeName
            fd = SystemCall.retryingInterrupts {
                openat(descriptor, probeName, direct | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            }
        }
        if fd < 0 {
            let code = errno
            if code == EINVAL { return false }
            throw Self.failure("probe O_DIRECT", path, code, "cannot create a probe file")
        }
        defer {
            close(fd)
            if let name { unlinkat(descriptor, name, 0) }
        }
        let alignment = 4096
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: 2 * alignment, alignment: alignment)
        defer { buffer.deallocate() }
        memset(buffer, 0, 2 * alignment)
        let aligned = SystemCall.retryingInterrupts { pwrite(fd, buffer, alignment, 0) }
        if aligned != alignment {
            let code = aligned < 0 ? errno : EIO
            if code == EINVAL || code == EOPNOTSUPP { return false }
            throw Self.failure("probe O_DIRECT", path, code, "cannot write a probe block")
        }
        let unaligned = SystemCall.retryingInterrupts { pwrite(fd, buffer + 1, 1, 1) }
        if unaligned >= 0 { return false }
        return errno == EINVAL
    }

    /// The read-only form of `probeDirectIO` (it writes nothing): `name`, an existing file,
    /// opened O_RDONLY|O_DIRECT must take an aligned 4 KiB read and refuse an unaligned one.
    /// False when the file is missing or the flag is refused.
    func probeDirectIOReading(_ name: String) -> Bool {
        let fd = SystemCall.retryingInterrupts {
            openat(descriptor, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | spw_open_direct_flag())
        }
        if fd < 0 { return false }
        defer { close(fd) }
        let alignment = 4096
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: 2 * alignment, alignment: alignment)
        defer { buffer.deallocate() }
        if SystemCall.retryingInterrupts({ pread(fd, buffer, alignment, 0) }) < 0 { return false }
        let unaligned = SystemCall.retryingInterrupts { pread(fd, buffer + 1, 1, 1) }
        return unaligned < 0 && errno == EINVAL
    }
}
