// The io_uring implementation of the I/O seam: files in one owned directory, requests
// batched into a liburing ring (through the CSpillwayURing shim), O_DIRECT when the file
// system supports it.
import CSpillwayURing
import Glibc
import SpillwayCore

/// An `IOBackend` on a real kernel: one io_uring instance, files opened 0600 with
/// O_NOFOLLOW|O_CLOEXEC (and O_DIRECT when the directory's file system supports it) inside a
/// directory this backend owns (0700).
///
/// Not thread-safe: one owner drives prepare / submit / reap. Requests go straight into the
/// ring's submission queue on `prepare` and reach the kernel in one system call on `submit`;
/// `reap` copies completions out in batches. `queueDepth` bounds requests prepared and not
/// yet reaped, so the completion queue (twice the submission queue) can never overflow.
public final class URingIO: IOBackend {
    /// The directory this backend owns.
    public let directory: String
    /// How many requests may be prepared and not yet reaped at once.
    public let queueDepth: Int
    /// The mode the backend was opened with.
    public let directIOMode: DirectIOMode
    /// The lock held on the directory: the one writer, or one of its readers.
    public let access: DirectoryAccess
    /// True when files are opened O_DIRECT (the probe passed and the mode allowed it).
    public let usesDirectIO: Bool
    /// 4096 with O_DIRECT, else 1.
    public var requiredAlignment: Int { usesDirectIO ? Self.directIOAlignment : 1 }

    /// The alignment asked of buffers, offsets and lengths under O_DIRECT. 4096 covers every
    /// logical block size in practice (512 and 4096).
    public static let directIOAlignment = 4096

    let owned: OwnedDirectory
    /// The extra directories of a striped tier (docs/DISK_FORMAT.md, "Several
    /// directories"), locked and checked like the home.
    let extraOwned: [OwnedDirectory]
    /// Every directory by its resolved path, the home first.
    public let directoryPaths: [String]
    let ring: OpaquePointer
    /// Descriptor per `IOFileID.rawValue`; -1 marks a free slot.
    var descriptors: [Int32] = []
    /// Per `IOFileID.rawValue` below `registeredFileSlotCount`: whether the file sits in the
    /// ring's registered file table. Empty when the kernel refused the table.
    var registeredFileSlots: [Bool] = []

    /// Size of the registered (fixed) file table, set up empty at init; files with a larger
    /// id are named by descriptor.
    public static let registeredFileSlotCount = 64
    /// Prepared and not yet reaped.
    private var outstandingCount = 0
    /// Prepared and not yet taken by the kernel.
    private var unsubmittedCount = 0
    /// Completions copied out of the ring, `queueDepth` of them at most per batch.
    private let completionBatch: UnsafeMutablePointer<spw_completion>
    private var registeredBuffers: [UnsafeMutableRawBufferPointer] = []

    /// Opens (creating 0700 if missing) `directory` and sets up a ring.
    ///
    /// - Parameters:
    ///   - directory: The directory the backend owns. Refused when it is a symlink, owned by
    ///     another user, or writable by group or others.
    ///   - queueDepth: Requests in flight at most (1...4096).
    ///   - directIO: `.auto` probes and falls back to buffered I/O; `.required` throws when
    ///     the file system cannot do direct I/O; `.off` never uses it.
    ///   - access: `.exclusive` (default) locks the directory for this backend alone;
    ///     `.readOnly` shares it with other readers, never creates or writes anything (the
    ///     direct-I/O probe reads the first file instead of writing a probe file), and opens
    ///     files O_RDONLY. Either is refused while a conflicting opener holds the lock.
    /// - Throws: `IOBackendError` for directory problems, a lock held by another opener
    ///   (naming its pid), a file system without direct I/O under `.required`, or a kernel
    ///   without io_uring.
    public convenience init(
        directory: String, queueDepth: Int = 64, directIO: DirectIOMode = .auto,
        access: DirectoryAccess = .exclusive
    ) throws {
        try self.init(
            directories: [directory], queueDepth: queueDepth, directIO: directIO, access: access)
    }

    /// `init(directory:...)` over several directories, the home first: each is opened,
    /// checked and locked the same way (one writer per directory), and files are opened
    /// O_DIRECT only when every directory's file system does direct I/O. The same
    /// directory given twice is refused.
    public init(
        directories: [String], queueDepth: Int = 64, directIO: DirectIOMode = .auto,
        access: DirectoryAccess = .exclusive
    ) throws {
        guard let directory = directories.first else {
            throw IOBackendError(
                operation: "open directory", path: "", errno: EINVAL,
                message: "no directory given: give at least the tier's home directory")
        }
        guard (1...4096).contains(queueDepth) else {
            throw IOBackendError(
                operation: "io_uring_queue_init", path: directory, errno: EINVAL,
                message: "queue depth \(queueDepth) is not in 1...4096: choose a queue depth in range")
        }
        try OwnedDirectory.refuseRepeats(directories)
        var opened: [OwnedDirectory] = []
        var usesDirectIO = directIO != .off
        do {
            for path in directories {
                opened.append(try OwnedDirectory.open(path, access: access))
            }
        } catch {
            for directory in opened { close(directory.descriptor) }
            throw error
        }
        let owned = opened[0]
        do {
            for directory in opened where usesDirectIO {
                if access == .readOnly {
                    let names = try Self.regularFiles(in: directory)
                    usesDirectIO =
                        names.first(where: { $0.hasPrefix("spillway-data.") }).map {
                            directory.probeDirectIOReading($0)
                        } ?? names.first.map { directory.probeDirectIOReading($0) } ?? false
                } else {
                    usesDirectIO = try directory.probeDirectIO()
                }
                if !usesDirectIO && directIO == .required {
                    throw IOBackendError(
                        operation: "probe O_DIRECT", path: directory.path, errno: EINVAL,
                        message: "the file system holding this directory does not support "
                            + "direct I/O (O_DIRECT; tmpfs such as /dev/shm never does): put "
                            + "the disk tier on a disk-backed file system (ext4, xfs, btrfs) or "
                            + "choose direct I/O mode 'auto' or 'off'")
                }
            }
        } catch {
            for directory in opened { close(directory.descriptor) }
            throw error
        }
        var ring: OpaquePointer?
        // No setup flags: COOP_TASKRUN would save an interrupt per completion, but then
        // completions only show up in the ring when this thread next enters the kernel, so
        // a caller polling reap(minimum: 0) could spin without ever seeing one.
        let rc = spw_ring_create(UInt32(queueDepth), 0, &ring)
        guard rc == 0, let ring else {
            for directory in opened { close(directory.descriptor) }
            throw IOBackendError(
                operation: "io_uring_queue_init", path: directory, errno: -rc,
                message: "cannot set up an io_uring instance (\(SystemCall.message(-rc))); "
                    + "io_uring may be disabled (sysctl kernel.io_uring_disabled) or blocked by "
                    + "seccomp in this container")
        }
        self.directory = directory
        self.queueDepth = queueDepth
        self.directIOMode = directIO
        self.access = access
        self.usesDirectIO = usesDirectIO
        self.owned = owned
        self.extraOwned = Array(opened.dropFirst())
        self.directoryPaths = opened.map(\.resolvedPath)
        self.ring = ring
        self.completionBatch = .allocate(capacity: queueDepth)
        // An empty (sparse) file table; openFile fills slots. Kernels before 5.5 refuse -1
        // entries: then every file is named by descriptor.
        let empty = [Int32](repeating: -1, count: Self.registeredFileSlotCount)
        let registered = empty.withUnsafeBufferPointer {
            spw_ring_register_files(ring, $0.baseAddress, UInt32($0.count))
        }
        if registered == 0 {
            registeredFileSlots = [Bool](repeating: false, count: Self.registeredFileSlotCount)
        }
    }

    deinit {
        // Requests the kernel already took may still be writing into caller memory: wait
        // for them before the ring goes, so no buffer is touched after this object is gone.
        let inKernel = outstandingCount - unsubmittedCount
        var remaining = inKernel
        var failures = 0
        while remaining > 0 && failures < SystemCall.interruptRetryLimit {
            let rc = spw_ring_wait(ring, UInt32(remaining))
            if rc < 0 {
                failures += 1
                continue
            }
            remaining -= Int(spw_ring_reap(ring, completionBatch, UInt32(queueDepth)))
        }
        spw_ring_destroy(ring)
        for descriptor in descriptors where descriptor >= 0 { close(descriptor) }
        close(owned.descriptor)
        for directory in extraOwned { close(directory.descriptor) }
        completionBatch.deallocate()
    }

    // MARK: Registered buffers

    /// Registers `buffers` for fixed-buffer I/O (replacing any registered before). Requests
    /// then name one by `registeredBufferIndex` and must lie inside it.
    ///
    /// - Returns: false when the kernel refuses (e.g. RLIMIT_MEMLOCK too low for an
    ///   unprivileged user); callers then use -1 as the index.
    public func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) -> Bool {
        precondition(
            outstandingCount == 0, "registerBuffers with \(outstandingCount) requests in flight")
        if !registeredBuffers.isEmpty {
            _ = spw_ring_unregister_buffers(ring)
            registeredBuffers = []
        }
        if buffers.isEmpty { return true }
        var entries = buffers.map { spw_buffer(base: $0.baseAddress, length: $0.count) }
        let rc = entries.withUnsafeMutableBufferPointer {
            spw_ring_register_buffers(ring, $0.baseAddress, UInt32($0.count))
        }
        if rc < 0 { return false }
        registeredBuffers = buffers
        return true
    }

    // MARK: Data path

    /// Queues one request in the ring's submission queue.
    ///
    /// - Returns: false, queueing nothing, when `queueDepth` requests are outstanding.
    /// - Precondition: the file is open; with direct I/O the buffer address, offset and
    ///   length are multiples of `requiredAlignment`; a registered buffer index names a
    ///   registered buffer that contains the request's range.
    public func prepare(_ request: IORequest) -> Bool {
        if outstandingCount >= queueDepth { return false }
        // A file in the registered table is named by its slot (saves the kernel a file
        // table lookup and reference count per request); others by descriptor.
        let fileIndex = Int(request.file.rawValue)
        let descriptor = self.descriptor(request.file)
        let fixed = fileIndex < registeredFileSlots.count && registeredFileSlots[fileIndex]
        let target = fixed ? Int32(fileIndex) : descriptor
        let flags = fixed ? UInt32(SPW_SQE_FIXED_FILE) : 0
        let userData = request.userData
        let rc: Int32
        switch request.kind {
        case .sync:
            rc = spw_ring_prep_fsync(ring, target, 1, userData, flags)
        case .read, .write:
            precondition(
                request.length >= 0 && request.length <= Int(Int32.max) - 4095,
                "request length \(request.length) out of range")
            precondition(request.buffer != nil || request.length == 0, "request without buffer")
            let buffer = request.buffer
            if usesDirectIO {
                let alignment = Self.directIOAlignment
                precondition(
                    Int(bitPattern: buffer) % alignment == 0
                        && request.offset % UInt64(alignment) == 0
                        && request.length % alignment == 0,
                    "direct I/O request not \(alignment)-aligned: buffer "
                        + "\(String(describing: buffer)) offset \(request.offset) length "
                        + "\(request.length)")
            }
            let length = UInt32(request.length)
            let offset = request.offset
            let index = request.registeredBufferIndex
            if index >= 0 {
                precondition(
                    Int(index) < registeredBuffers.count, "registered buffer \(index) unknown")
                precondition(buffer != nil, "registered-buffer request without buffer")
                let registered = registeredBuffers[Int(index)]
                let start = UnsafeRawPointer(buffer!)
                let base = UnsafeRawPointer(registered.baseAddress!)
                precondition(
                    start >= base && start + request.length <= base + registered.count,
                    "request range is outside registered buffer \(index)")
                rc =
                    request.kind == .read
                    ? spw_ring_prep_read_fixed(
                        ring, target, buffer, length, offset, index, userData, flags)
                    : spw_ring_prep_write_fixed(
                        ring, target, buffer, length, offset, index, userData, flags)
            } else {
                rc =
                    request.kind == .read
                    ? spw_ring_prep_read(ring, target, buffer, length, offset, userData, flags)
                    : spw_ring_prep_write(ring, target, buffer, length, offset, userData, flags)
            }
        }
        // The submission queue has at least queueDepth entries and at most queueDepth are
        // outstanding, so it always has room here.
        precondition(rc == 0, "submission queue full with \(outstandingCount) outstanding")
        outstandingCount += 1
        unsubmittedCount += 1
        return true
    }

    /// How many times a submit that the kernel refuses transiently (EINTR, EAGAIN: no
    /// memory for requests right now, EBUSY: completions to flush first) is retried, with a
    /// short sleep after the first few. 1000 tries span well over 100 ms: longer than any
    /// transient shortage, short enough that a stuck kernel shows up as an error.
    static let submitRetryLimit = 1000

    /// Hands every prepared request to the kernel in as few system calls as it takes
    /// (usually one).
    ///
    /// - Returns: How many requests were submitted.
    /// - Throws: `IOBackendError` when the kernel refuses the batch for a non-transient
    ///   reason or keeps refusing it past `submitRetryLimit` tries; the requests stay
    ///   prepared, so a later `submit()` can retry them.
    @discardableResult
    public func submit() throws -> Int {
        var submitted = 0
        var refusals = 0
        while unsubmittedCount > 0 {
            let rc = spw_ring_submit(ring)
            if rc > 0 {
                submitted += Int(rc)
                unsubmittedCount -= Int(rc)
                refusals = 0
                continue
            }
            let code = rc == 0 ? EAGAIN : -rc
            guard code == EINTR || code == EAGAIN || code == EBUSY else {
                throw IOBackendError(
                    operation: "io_uring_submit", path: directory, errno: code,
                    message: "the kernel refused \(unsubmittedCount) requests: "
                        + SystemCall.message(code))
            }
            refusals += 1
            if refusals >= Self.submitRetryLimit {
                throw IOBackendError(
                    operation: "io_uring_submit", path: directory, errno: code,
                    message: "the kernel kept refusing \(unsubmittedCount) requests after "
                        + "\(refusals) tries: \(SystemCall.message(code))")
            }
            if code != EINTR && refusals > 10 { usleep(100) }
        }
        return submitted
    }

    /// Appends completions: waits until at least `minimum` are available, then takes every
    /// one available without waiting further.
    ///
    /// - Precondition: `minimum` is at most the number of submitted, unreaped requests
    ///   (waiting for more could never end).
    /// - Throws: `IOBackendError` when waiting fails (other than a bounded run of EINTR).
    @discardableResult
    public func reap(into completions: inout [IOCompletion], minimum: Int) throws -> Int {
        let inKernel = outstandingCount - unsubmittedCount
        precondition(
            minimum >= 0 && minimum <= inKernel,
            "reap(minimum: \(minimum)) with only \(inKernel) submitted requests outstanding")
        var appended = 0
        var interruptions = 0
        while true {
            let count = Int(spw_ring_reap(ring, completionBatch, UInt32(queueDepth)))
            if count > 0 {
                completions.reserveCapacity(completions.count + count)
                for index in 0..<count {
                    let completion = completionBatch[index]
                    completions.append(
                        IOCompletion(userData: completion.user_data, result: completion.result))
                }
                appended += count
                outstandingCount -= count
            }
            if appended >= minimum {
                // A full batch may have left more behind; an empty or partial one did not.
                if count == queueDepth { continue }
                return appended
            }
            let rc = spw_ring_wait(ring, UInt32(minimum - appended))
            // A signal interrupting the wait is not a failure: the requests are still in
            // flight and will complete, so wait again however many signals arrive (a signal
            // storm must not stop the store). EAGAIN (no completion yet without waiting) is
            // bounded, with a short sleep.
            if rc == -EINTR { continue }
            if rc == -EAGAIN {
                interruptions += 1
                if interruptions > 10 { usleep(100) }
                if interruptions >= SystemCall.interruptRetryLimit {
                    throw IOBackendError(
                        operation: "io_uring_wait_cqe", path: directory, errno: -rc,
                        message: "waiting for completions failed with EAGAIN \(interruptions) times in a row; check the kernel's io_uring limits")
                }
                continue
            }
            if rc < 0 {
                throw IOBackendError(
                    operation: "io_uring_wait_cqe", path: directory, errno: -rc,
                    message: "cannot wait for completions: \(SystemCall.message(-rc))")
            }
        }
    }

    /// The descriptor behind `file`; traps on an id that is not open (a tier bug).
    func descriptor(_ file: IOFileID) -> Int32 {
        let index = Int(file.rawValue)
        precondition(
            index >= 0 && index < descriptors.count && descriptors[index] >= 0,
            "file id \(file.rawValue) is not open")
        return descriptors[index]
    }

    /// Whether the ring has a registered file table (files are then named by slot).
    public var usesRegisteredFiles: Bool { !registeredFileSlots.isEmpty }

    /// Whether the running kernel supports the fixed-buffer read and write opcodes.
    public var supportsFixedBuffers: Bool {
        spw_ring_probe_opcode(ring, SPW_OP_READ_FIXED) == 1
            && spw_ring_probe_opcode(ring, SPW_OP_WRITE_FIXED) == 1
    }
}
