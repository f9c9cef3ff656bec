// URingIO's file management: open, list, remove, size, reserve, close — all relative to
// the owned directory's descriptor, never by re-resolving its path.
import CSpillwayURing
import Glibc
import SpillwayCore

extension URingIO {
    /// Opens (or creates, 0600) `name` inside the directory, O_RDWR|O_NOFOLLOW|O_CLOEXEC and
    /// O_DIRECT when `usesDirectIO`. With `create`, the directory is fsynced before
    /// returning, so the file's name is durable (its data is durable after a `.sync`).
    ///
    /// - Throws: `IOBackendError` for a bad name (`/`, `.`, `..`), a missing file without
    ///   `create`, an existing one with `exclusive`, a symlink or non-regular file, a file
    ///   owned by another user, or any open failure.
    public func openFile(_ name: String, options: IOFileOptions) throws -> IOFileID {
        try openFile(name, inDirectory: 0, options: options)
    }

    /// Directory `index` (0: the home) of `directoryPaths`.
    func ownedDirectory(_ index: Int) throws -> OwnedDirectory {
        guard index >= 0, index <= extraOwned.count else {
            throw IOBackendError(
                operation: "open", path: "directory #\(index)", errno: EINVAL,
                message: "this backend owns \(extraOwned.count + 1) directories")
        }
        return index == 0 ? owned : extraOwned[index - 1]
    }

    /// `openFile(_:options:)` in directory `directory` of `directoryPaths`.
    public func openFile(_ name: String, inDirectory directory: Int, options: IOFileOptions)
        throws -> IOFileID
    {
        let owned = try ownedDirectory(directory)
        try owned.validate(name)
        let readOnly = access == .readOnly
        if readOnly && options.create {
            throw OwnedDirectory.failure(
                "open", owned.pathOf(name), EROFS,
                "cannot create a file through a read-only backend; open the directory for writing")
        }
        var flags = (readOnly ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC
        if options.create { flags |= O_CREAT }
        if options.create && options.exclusive { flags |= O_EXCL }
        if usesDirectIO { flags |= spw_open_direct_flag() }
        let directoryDescriptor = owned.descriptor
        let descriptor = SystemCall.retryingInterrupts {
            openat(directoryDescriptor, name, flags, 0o600)
        }
        if descriptor < 0 {
            let code = errno
            let what: String
            switch code {
            case ELOOP: what = "is a symbolic link; refusing to follow it"
            case ENOENT: what = "does not exist (open it with create)"
            case EEXIST: what = "already exists (opened exclusive)"
            default: what = "cannot open the file"
            }
            throw OwnedDirectory.failure("open", owned.pathOf(name), code, what)
        }
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            let code = errno
            close(descriptor)
            throw OwnedDirectory.failure(
                "stat", owned.pathOf(name), code, "cannot inspect the file")
        }
        if info.st_mode & S_IFMT != S_IFREG || info.st_uid != geteuid() {
            close(descriptor)
            throw OwnedDirectory.failure(
                "open", owned.pathOf(name), EPERM,
                "is not a regular file owned by this user; remove it or use another directory")
        }
        // A hard link planted under a tier file name would have the tier write through it
        // into a file elsewhere (as a symlink would; O_NOFOLLOW only stops symlinks).
        if info.st_nlink > 1 {
            close(descriptor)
            throw OwnedDirectory.failure(
                "open", owned.pathOf(name), EMLINK,
                "has \(info.st_nlink) hard links: a tier file must have exactly one name; remove it (or the other links) or use another directory")
        }
        if options.create {
            // Make the directory entry durable too, so a file the tier created (and then
            // synced with `.sync`) survives a power loss with its name.
            try syncDirectory(owned, closingOnFailure: descriptor)
        }
        let index: Int
        if let free = descriptors.firstIndex(of: -1) {
            index = free
            descriptors[free] = descriptor
        } else {
            index = descriptors.count
            descriptors.append(descriptor)
        }
        updateRegisteredFile(index, descriptor)
        return IOFileID(rawValue: Int32(index))
    }

    /// Puts `descriptor` (or -1 to clear) in registered file slot `index` when the table
    /// exists and has that slot. A refused update leaves the file named by descriptor.
    private func updateRegisteredFile(_ index: Int, _ descriptor: Int32) {
        guard index < registeredFileSlots.count else { return }
        var entry = descriptor
        let updated = spw_ring_update_files(ring, UInt32(index), &entry, 1) == 1
        registeredFileSlots[index] = descriptor >= 0 && updated
    }

    /// Names of the regular files in the directory, sorted (symlinks, subdirectories and a
    /// probe file left by a crash during init are not listed).
    public func listFiles() throws -> [String] {
        try Self.regularFiles(in: owned)
    }

    /// `listFiles()` of directory `directory` of `directoryPaths`.
    public func listFiles(inDirectory directory: Int) throws -> [String] {
        try Self.regularFiles(in: ownedDirectory(directory))
    }

    /// The regular files of `owned`, sorted, without probe leftovers.
    static func regularFiles(in owned: OwnedDirectory) throws -> [String] {
        let directory = owned.path
        let copy = dup(owned.descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            let code = errno
            if copy >= 0 { close(copy) }
            throw OwnedDirectory.failure("list", directory, code, "cannot read the directory")
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." || name.hasPrefix(OwnedDirectory.probePrefix) {
                continue
            }
            var isRegular = entry.pointee.d_type == UInt8(DT_REG)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isRegular =
                    fstatat(owned.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0
                    && info.st_mode & S_IFMT == S_IFREG
            }
            if isRegular { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes `name` from the directory (durably: the directory is fsynced); a missing file
    /// is not an error.
    public func removeFile(_ name: String) throws {
        try removeFile(name, inDirectory: 0)
    }

    /// `removeFile(_:)` in directory `directory` of `directoryPaths`.
    public func removeFile(_ name: String, inDirectory directory: Int) throws {
        let owned = try ownedDirectory(directory)
        try owned.validate(name)
        try refuseWhenReadOnly("remove", name)
        if unlinkat(owned.descriptor, name, 0) != 0 {
            if errno == ENOENT { return }
            throw OwnedDirectory.failure("remove", owned.pathOf(name), errno, "cannot remove")
        }
        try syncDirectory(owned, closingOnFailure: -1)
    }

    /// fsync of the directory itself: makes created and removed names durable.
    private func syncDirectory(_ owned: OwnedDirectory, closingOnFailure descriptor: Int32) throws {
        let directoryDescriptor = owned.descriptor
        if SystemCall.retryingInterrupts({ fsync(directoryDescriptor) }) != 0 {
            let code = errno
            if descriptor >= 0 { close(descriptor) }
            throw OwnedDirectory.failure("fsync", owned.path, code, "cannot sync the directory")
        }
    }

    /// Current size of an open file in bytes.
    public func fileSize(_ file: IOFileID) throws -> UInt64 {
        var info = stat()
        if fstat(descriptor(file), &info) != 0 {
            throw OwnedDirectory.failure(
                "stat", directory, errno, "cannot size file \(file.rawValue)")
        }
        return UInt64(info.st_size)
    }

    /// Grows the file to at least `size` bytes with fallocate (allocated, reads as zeros);
    /// on a file system without fallocate, extends it with ftruncate (sparse).
    ///
    /// - Throws: `IOBackendError` with ENOSPC when the space is not there.
    public func reserve(_ file: IOFileID, size: UInt64) throws {
        try refuseWhenReadOnly("reserve", "file \(file.rawValue)")
        guard size <= UInt64(Int64.max) else {
            throw OwnedDirectory.failure(
                "fallocate", directory, EFBIG, "cannot reserve \(size) bytes: above the largest file size")
        }
        let descriptor = self.descriptor(file)
        if size == 0 { return }
        let rc = spw_fallocate(descriptor, 0, Int64(size))
        if rc == 0 { return }
        if rc == -EOPNOTSUPP {
            if try fileSize(file) >= size { return }
            if SystemCall.retryingInterrupts({ ftruncate(descriptor, off_t(size)) }) == 0 {
                return
            }
            throw OwnedDirectory.failure(
                "ftruncate", directory, errno, "cannot grow file \(file.rawValue) to \(size) bytes")
        }
        if rc == -ENOSPC {
            throw OwnedDirectory.failure(
                "fallocate", directory, ENOSPC,
                "no room to reserve \(size) bytes for file \(file.rawValue): free space on this "
                    + "file system or lower the disk tier's capacity")
        }
        throw OwnedDirectory.failure(
            "fallocate", directory, -rc, "cannot reserve \(size) bytes for file \(file.rawValue)")
    }

    /// Closes an open file; its id is invalid (and may be handed out again) afterwards.
    public func closeFile(_ file: IOFileID) {
        let descriptor = self.descriptor(file)
        updateRegisteredFile(Int(file.rawValue), -1)
        close(descriptor)
        descriptors[Int(file.rawValue)] = -1
    }

    /// Throws EROFS for an operation that would change the directory of a read-only backend.
    private func refuseWhenReadOnly(_ operation: String, _ what: String) throws {
        guard access == .readOnly else { return }
        throw OwnedDirectory.failure(
            operation, owned.pathOf(what), EROFS,
            "the backend was opened read-only; open the directory for writing")
    }

    /// Gives up the directory lock (the owner closed its tier): another process, or another
    /// backend in this one, may open the directory now. No I/O may follow.
    public func releaseDirectory() {
        for directory in [owned] + extraOwned {
            let descriptor = directory.descriptor
            _ = SystemCall.retryingInterrupts { flock(descriptor, LOCK_UN) }
        }
    }
}
