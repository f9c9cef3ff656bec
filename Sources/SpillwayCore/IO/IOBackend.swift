// The I/O seam: the one protocol between the disk tier's logic (core layer, no syscalls)
// and whatever moves bytes — io_uring on a real kernel (SpillwaySystem.URingIO) or the
// seeded simulator with a fault plan (SpillwayTesting.SimulatedIO).
//
// Shape (TigerBeetle, foyer): prepare a batch of requests, submit once, reap completions.
// Alignment, splitting, resubmitting short transfers, checksums and counters live once in
// the disk tier, never in a backend: a backend moves exactly the bytes it is asked to and
// reports exactly what happened.

/// A file the backend opened, named by a small index the backend hands out.
public struct IOFileID: Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
}

/// How a file is opened.
public struct IOFileOptions: Sendable {
    /// Create the file (mode 0600) when it does not exist.
    public var create: Bool
    /// Fail when the file already exists (with `create`).
    public var exclusive: Bool
    public init(create: Bool = false, exclusive: Bool = false) {
        self.create = create
        self.exclusive = exclusive
    }
}

/// One request on the data path. `buffer` must stay valid until its completion is reaped.
/// With direct I/O (`IOBackend.requiredAlignment > 1`) `buffer`, `offset` and `length` must
/// all be multiples of the alignment; a backend traps otherwise (that is a tier bug).
public struct IORequest: @unchecked Sendable {
    public enum Kind: UInt8, Sendable {
        case read
        case write
        /// fdatasync of `file`; `buffer`, `offset` and `length` are ignored.
        case sync
    }

    public var kind: Kind
    public var file: IOFileID
    public var offset: UInt64
    public var buffer: UnsafeMutableRawPointer?
    public var length: Int
    /// Index of a buffer registered with `registerBuffers`, or -1. When set, `buffer` must lie
    /// inside that registered buffer.
    public var registeredBufferIndex: Int32
    /// Returned unchanged in the completion.
    public var userData: UInt64

    public init(
        kind: Kind, file: IOFileID, offset: UInt64, buffer: UnsafeMutableRawPointer?,
        length: Int, registeredBufferIndex: Int32 = -1, userData: UInt64
    ) {
        self.kind = kind
        self.file = file
        self.offset = offset
        self.buffer = buffer
        self.length = length
        self.registeredBufferIndex = registeredBufferIndex
        self.userData = userData
    }

    public static func sync(_ file: IOFileID, userData: UInt64) -> IORequest {
        IORequest(kind: .sync, file: file, offset: 0, buffer: nil, length: 0, userData: userData)
    }
}

/// What happened to one request: bytes transferred (possibly fewer than asked: a short
/// transfer), or a negative errno (`-5` EIO, `-28` ENOSPC, ...).
public struct IOCompletion: Sendable {
    public var userData: UInt64
    public var result: Int32
    public init(userData: UInt64, result: Int32) {
        self.userData = userData
        self.result = result
    }
}

/// An error outside the data path (opening, sizing, removing files). Data-path failures are
/// never thrown: they are per-request results in `IOCompletion`.
public struct IOBackendError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var errno: Int32
    public var message: String
    public init(operation: String, path: String, errno: Int32, message: String) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.message = message
    }
    public var description: String { "\(operation) \(path): \(message) (errno \(errno))" }
}

/// A batched, asynchronous block I/O backend rooted at one directory it owns.
///
/// Contract (checked by the shared contract test suite against every backend):
/// - every prepared request completes exactly once, after a `submit()`;
/// - completions may arrive in any order;
/// - a write is durable only after a `.sync` request on its file completes with 0 that was
///   submitted after the write completed;
/// - reads of never-written ranges inside the file size return zeros.
public protocol IOBackend: AnyObject {
    /// 1 for buffered I/O; the direct-I/O alignment (4096) when files are opened O_DIRECT.
    var requiredAlignment: Int { get }

    /// How many requests may be prepared and not yet reaped at once.
    var queueDepth: Int { get }

    /// Opens (or creates, 0600) `name` inside the backend's directory. `name` has no `/`.
    func openFile(_ name: String, options: IOFileOptions) throws -> IOFileID

    /// Names of the regular files in the backend's directory, sorted.
    func listFiles() throws -> [String]

    /// Removes `name` from the backend's directory; a missing file is not an error.
    func removeFile(_ name: String) throws

    /// Current size of an open file in bytes.
    func fileSize(_ file: IOFileID) throws -> UInt64

    /// Grows the file to at least `size` bytes, reserving the space (fallocate) where the
    /// file system can; throws ENOSPC as an `IOBackendError` when it cannot.
    func reserve(_ file: IOFileID, size: UInt64) throws

    /// Closes an open file; its id is invalid afterwards.
    func closeFile(_ file: IOFileID)

    /// Registers long-lived buffers for fixed-buffer I/O, replacing any registered before
    /// (an empty array unregisters). Call with no requests outstanding. Returns false when
    /// the backend does not support it (callers then pass -1 as `registeredBufferIndex`).
    func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) -> Bool

    /// Queues one request. Returns false, queueing nothing, when `queueDepth` requests are
    /// already prepared and not yet reaped.
    func prepare(_ request: IORequest) -> Bool

    /// Hands every prepared request to the device. Returns how many were submitted.
    @discardableResult
    func submit() throws -> Int

    /// Appends completions to `completions`: waits until at least `minimum` are available
    /// (0 = do not wait), then takes every completion available without waiting further.
    /// Returns how many were appended. `minimum` must not exceed the number of submitted,
    /// not yet reaped requests (waiting for more could never end; backends trap).
    @discardableResult
    func reap(into completions: inout [IOCompletion], minimum: Int) throws -> Int

    /// Gives up the directory (see the default implementation); called once, last.
    func releaseDirectory()

    /// The directories the backend owns, the home (where `openFile(_:options:)`,
    /// `listFiles()` and `removeFile(_:)` work) first, then the extra ones a striped disk tier
    /// puts one data file in each (docs/DISK_FORMAT.md, "Several directories"). Paths as the
    /// backend resolved them, for messages and the tier's directory manifest.
    var directoryPaths: [String] { get }

    /// `openFile(_:options:)` in directory `directory` (an index into `directoryPaths`).
    func openFile(_ name: String, inDirectory directory: Int, options: IOFileOptions) throws
        -> IOFileID

    /// `listFiles()` of directory `directory`.
    func listFiles(inDirectory directory: Int) throws -> [String]

    /// `removeFile(_:)` in directory `directory`.
    func removeFile(_ name: String, inDirectory directory: Int) throws
}

extension IOBackend {
    /// Called by the owner when it is done with the backend's directory (`DiskTier.close`):
    /// a backend that locks its directory gives the lock up here, so another opener can
    /// take it while this object is still referenced. No I/O may follow. Default: nothing.
    public func releaseDirectory() {}

    /// One directory, unnamed (a backend without extra directories).
    public var directoryPaths: [String] { ["."] }

    /// Directory 0 is the home; a backend with one directory has no other.
    public func openFile(_ name: String, inDirectory directory: Int, options: IOFileOptions)
        throws -> IOFileID
    {
        guard directory == 0 else { throw Self.noSuchDirectory(directory) }
        return try openFile(name, options: options)
    }

    public func listFiles(inDirectory directory: Int) throws -> [String] {
        guard directory == 0 else { throw Self.noSuchDirectory(directory) }
        return try listFiles()
    }

    public func removeFile(_ name: String, inDirectory directory: Int) throws {
        guard directory == 0 else { throw Self.noSuchDirectory(directory) }
        try removeFile(name)
    }

    static func noSuchDirectory(_ directory: Int) -> IOBackendError {
        IOBackendError(
            operation: "open", path: "directory #\(directory)", errno: 22,
            message: "this backend owns one directory")
    }
}
