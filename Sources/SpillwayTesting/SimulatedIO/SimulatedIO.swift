// The simulated I/O backend: a memory image per file (durable image + unsynced writes), a
// seeded PRNG and a fault plan, so disk-tier tests run thousands of operations per second
// and any failure replays from its seed.
import SpillwayCore

/// An `IOBackend` over memory.
///
/// Each file keeps two images: `current` (what reads see: every completed write) and
/// `durable` (what survives `crash()`), plus the log of writes since the last completed
/// sync. A `.sync` request copies the logged ranges into the durable image. `crash()`
/// models power loss: each unsynced write is dropped, torn (a random subset of its
/// 512-byte sectors lands) or applied, per the seed, then the current image becomes what
/// landed; open files and queued requests are forgotten (the process died).
///
/// Requests execute when `submit()` is called; their completions are then available to
/// `reap` (shuffled when the fault plan says so). With `requiredAlignment > 1` it traps on a
/// misaligned buffer, offset or length, like O_DIRECT would fail.
/// `reserve` and file creation are treated as durable at once (fallocate metadata).
package final class SimulatedIO: IOBackend {
    final class File {
        let name: String
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var unsynced: [(offset: Int, bytes: [UInt8])] = []
        init(name: String) { self.name = name }
    }

    package let requiredAlignment: Int
    package let queueDepth: Int
    /// The directories: the home (`"sim"` unless given) and the extra ones of a striped
    /// tier. The home's files are named by their bare name (`contents(ofFileNamed:)`);
    /// those of an extra directory by `"<directory>/<name>"`, so a backend `reopened` with
    /// another list finds (or misses) them as a real file system would.
    package let directoryPaths: [String]
    /// The fault plan; may be changed between operations (e.g. faults off for a final check).
    package var faults: FaultPlan
    /// Faults injected so far.
    package internal(set) var faultCounts = FaultCounts()
    /// Requests executed so far, by kind.
    package private(set) var readCount = 0
    package private(set) var writeCount = 0
    package private(set) var syncCount = 0

    var rng: SplitMix64
    var files: [String: File] = [:]
    var openFiles: [Int32: File] = [:]
    var nextFileID: Int32 = 3
    var prepared: [IORequest] = []
    var completed: [IOCompletion] = []
    /// Completed by `submit`, not yet reaped, plus prepared: bounded by `queueDepth`.
    var outstandingCount: Int { prepared.count + completed.count }

    /// A backend with no files.
    /// - Parameters:
    ///   - seed: drives every fault decision and crash outcome.
    ///   - requiredAlignment: 1 (buffered) or a power of two such as 4096 (O_DIRECT model).
    ///   - queueDepth: how many requests may be outstanding.
    ///   - faults: the fault plan.
    package init(
        seed: UInt64, requiredAlignment: Int = 1, queueDepth: Int = 64, faults: FaultPlan = .none,
        directories: [String] = ["sim"]
    ) {
        precondition(!directories.isEmpty, "a backend owns at least its home directory")
        self.directoryPaths = directories
        precondition(
            requiredAlignment > 0 && requiredAlignment & (requiredAlignment - 1) == 0,
            "requiredAlignment must be a power of two")
        precondition(queueDepth > 0, "queueDepth must be positive")
        self.requiredAlignment = requiredAlignment
        self.queueDepth = queueDepth
        self.faults = faults
        self.rng = SplitMix64(seed: seed)
        prepared.reserveCapacity(queueDepth)
        completed.reserveCapacity(queueDepth)
    }

    // MARK: Files

    package func openFile(_ name: String, options: IOFileOptions) throws -> IOFileID {
        try openFile(name, inDirectory: 0, options: options)
    }

    /// The key of `name` in directory `directory` in `files`.
    func path(_ name: String, _ directory: Int) throws -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw IOBackendError(
                operation: "open", path: name, errno: 22,
                message: "a file name must be one path component (no '/', not '.' or '..')")
        }
        guard directoryPaths.indices.contains(directory) else {
            throw IOBackendError(
                operation: "open", path: name, errno: 22, message: "no directory #\(directory)")
        }
        return directory == 0 ? name : directoryPaths[directory] + "/" + name
    }

    package func openFile(_ name: String, inDirectory directory: Int, options: IOFileOptions)
        throws -> IOFileID
    {
        let name = try path(name, directory)
        let file: File
        if let existing = files[name] {
            if options.create && options.exclusive {
                throw IOBackendError(
                    operation: "open", path: name, errno: 17, message: "file exists")
            }
            file = existing
        } else {
            guard options.create else {
                throw IOBackendError(
                    operation: "open", path: name, errno: 2, message: "no such file")
            }
            file = File(name: name)
            files[name] = file
        }
        let id = nextFileID
        nextFileID += 1
        openFiles[id] = file
        return IOFileID(rawValue: id)
    }

    package func listFiles() throws -> [String] { try listFiles(inDirectory: 0) }

    package func listFiles(inDirectory directory: Int) throws -> [String] {
        _ = try path("x", directory)
        if directory == 0 { return files.keys.filter { !$0.contains("/") }.sorted() }
        let prefix = directoryPaths[directory] + "/"
        return files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            .sorted()
    }

    package func removeFile(_ name: String) throws { try removeFile(name, inDirectory: 0) }

    package func removeFile(_ name: String, inDirectory directory: Int) throws {
        files[try path(name, directory)] = nil
    }

    package func fileSize(_ file: IOFileID) throws -> UInt64 {
        UInt64(try handle(file).current.count)
    }

    package func reserve(_ file: IOFileID, size: UInt64) throws {
        let target = try handle(file)
        if rng.chance(faults.reserveNoSpace) {
            faultCounts.reserveNoSpace += 1
            throw IOBackendError(
                operation: "fallocate", path: target.name, errno: 28,
                message: "no space left on device")
        }
        let size = Int(size)
        Self.grow(&target.current, to: size)
        Self.grow(&target.durable, to: size)
    }

    package func closeFile(_ file: IOFileID) {
        openFiles[file.rawValue] = nil
    }

    /// Buffers registered for fixed-buffer requests (`registeredBufferIndex >= 0`).
    package private(set) var registeredBuffers: [UnsafeMutableRawBufferPointer] = []

    /// Registers `buffers` (replacing any earlier set; an empty array unregisters). A request
    /// with `registeredBufferIndex >= 0` then completes with -EFAULT unless its bytes lie
    /// inside that registered buffer, as io_uring's fixed reads and writes do.
    package func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) -> Bool {
        registeredBuffers = buffers
        return true
    }

    /// Whether `request`'s bytes lie inside the registered buffer it names (true for
    /// requests that name none).
    func fixedBufferValid(_ request: IORequest) -> Bool {
        let index = Int(request.registeredBufferIndex)
        guard index >= 0 else { return true }
        guard index < registeredBuffers.count, let base = registeredBuffers[index].baseAddress,
            let buffer = request.buffer
        else { return false }
        let start = UInt(bitPattern: buffer)
        let low = UInt(bitPattern: base)
        return start >= low
            && start + UInt(request.length) <= low
                + UInt(registeredBuffers[index].count)
    }

    func handle(_ file: IOFileID) throws -> File {
        guard let handle = openFiles[file.rawValue] else {
            throw IOBackendError(
                operation: "use", path: "#\(file.rawValue)", errno: 9,
                message: "bad file id")
        }
        return handle
    }

    // MARK: Data path

    package func prepare(_ request: IORequest) -> Bool {
        guard outstandingCount < queueDepth else { return false }
        if request.kind != .sync {
            precondition(
                request.buffer != nil || request.length == 0, "data request without a buffer")
            if requiredAlignment > 1 {
                let address = UInt(bitPattern: request.buffer)
                let alignment = UInt(requiredAlignment)
                precondition(
                    address % alignment == 0 && request.offset % UInt64(alignment) == 0
                        && UInt(request.length) % alignment == 0,
                    "misaligned direct I/O request: buffer \(address) offset \(request.offset) length \(request.length) alignment \(alignment)"
                )
            }
        }
        prepared.append(request)
        return true
    }

    @discardableResult
    package func submit() throws -> Int {
        let count = prepared.count
        let firstNew = completed.count
        for request in prepared {
            completed.append(IOCompletion(userData: request.userData, result: execute(request)))
        }
        prepared.removeAll(keepingCapacity: true)
        if completed.count - firstNew > 1, rng.chance(faults.reorder) {
            faultCounts.reorderedBatches += 1
            var index = completed.count - 1
            while index > firstNew {
                let other = firstNew + rng.below(index - firstNew + 1)
                completed.swapAt(index, other)
                index -= 1
            }
        }
        return count
    }

    @discardableResult
    package func reap(into completions: inout [IOCompletion], minimum: Int) throws -> Int {
        precondition(
            minimum <= completed.count,
            "reap would wait forever: \(minimum) wanted, \(completed.count) submitted and unreaped, \(prepared.count) prepared but not submitted"
        )
        let count = completed.count
        completions.append(contentsOf: completed)
        completed.removeAll(keepingCapacity: true)
        return count
    }

    func execute(_ request: IORequest) -> Int32 {
        guard let file = openFiles[request.file.rawValue] else { return -9 }
        if request.kind != .sync, !fixedBufferValid(request) { return -14 }
        if request.kind != .sync, rng.chance(faults.interrupted) {
            faultCounts.interruptions += 1
            return rng.chance(0.5) ? -4 : -11
        }
        switch request.kind {
        case .sync:
            syncCount += 1
            if rng.chance(faults.syncError) {
                faultCounts.syncErrors += 1
                return -5
            }
            for write in file.unsynced {
                Self.copy(write.bytes, into: &file.durable, at: write.offset)
            }
            file.unsynced.removeAll()
            return 0
        case .read:
            readCount += 1
            if rng.chance(faults.readError) {
                faultCounts.readErrors += 1
                return -5
            }
            let offset = Int(request.offset)
            var length = max(0, min(request.length, file.current.count - offset))
            length = maybeShorten(length)
            guard length > 0, let buffer = request.buffer else { return 0 }
            file.current.withUnsafeBytes { image in
                buffer.copyMemory(from: image.baseAddress! + offset, byteCount: length)
            }
            if rng.chance(faults.readBitFlip) {
                faultCounts.readBitFlips += 1
                let bit = rng.below(length * 8)
                let byte = buffer.load(fromByteOffset: bit / 8, as: UInt8.self)
                buffer.storeBytes(
                    of: byte ^ UInt8(1 << (bit % 8)), toByteOffset: bit / 8, as: UInt8.self)
            }
            return Int32(length)
        case .write:
            writeCount += 1
            if rng.chance(faults.writeNoSpace) {
                faultCounts.writeNoSpace += 1
                return -28
            }
            var length = request.length
            var result: Int32
            if rng.chance(faults.writeError) {
                faultCounts.writeErrors += 1
                // A failed write may still have landed partly: a random sector prefix.
                length = (rng.below(request.length / 512 + 1)) * 512
                result = -5
            } else {
                length = maybeShorten(length)
                result = Int32(length)
            }
            guard length > 0, let buffer = request.buffer else { return result }
            let offset = Int(request.offset)
            let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer, count: length))
            Self.copy(bytes, into: &file.current, at: offset)
            file.unsynced.append((offset, bytes))
            return result
        }
    }

    /// With the fault plan's probability, a shorter positive length (a multiple of the
    /// alignment when that is required).
    func maybeShorten(_ length: Int) -> Int {
        let unit = requiredAlignment
        guard length > unit, rng.chance(faults.shortTransfer) else { return length }
        faultCounts.shortTransfers += 1
        let units = (length - 1) / unit
        return (1 + rng.below(units)) * unit
    }

    /// Zero-extends `image` to at least `size` bytes (memset speed, even in debug builds).
    static func grow(_ image: inout [UInt8], to size: Int) {
        if image.count < size {
            image.append(contentsOf: [UInt8](repeating: 0, count: size - image.count))
        }
    }

    /// Copies `bytes` into `image` at `offset`, growing it as needed (memcpy speed).
    static func copy(_ bytes: some Collection<UInt8>, into image: inout [UInt8], at offset: Int) {
        grow(&image, to: offset + bytes.count)
        image.withUnsafeMutableBytes { target in
            let destination = UnsafeMutableRawBufferPointer(
                rebasing: target[offset..<offset + bytes.count])
            _ =
                bytes.withContiguousStorageIfAvailable { source in
                    destination.copyMemory(from: UnsafeRawBufferPointer(source))
                }
                ?? {
                    for (index, byte) in bytes.enumerated() { destination[index] = byte }
                }()
        }
    }
}
