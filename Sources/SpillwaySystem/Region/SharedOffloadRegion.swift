// The primary tier: a shared, mmap-backed file in /dev/shm laid out in rows, byte-compatible
// with vLLM's SharedOffloadRegion, created and joined with the protocol of docs/REGION.md.
import Glibc
import Synchronization
import SystemPackage

/// A shared memory region of `numBlocks` rows; each row holds one slot of `cpuPageSize` bytes
/// per worker, then (for `.pageAligned`) padding. Every worker process of one engine instance
/// and the manager map the same file at `<directory>/vllm_offload_<instanceID>.mmap`.
///
/// The first opener creates the file (`isCreator`), later openers join it. Rows are exposed
/// zero-copy through `createKVMemoryView()` (whole rows, what the disk tier moves) and
/// `createNextView(tensorPageSize:)` (one tensor's bytes inside this worker's slot).
///
/// The mapping lives until `cleanup()` or deinit. Views keep the region object alive but
/// using one after `cleanup()` traps. `createNextView` is serialized internally; byte access
/// through views is not synchronized (each worker owns its slots).
public final class SharedOffloadRegion: @unchecked Sendable {
    /// The id in the file name.
    public let instanceID: String
    /// `<directory>/vllm_offload_<instanceID>.mmap`.
    public let path: String
    /// Row and slot geometry.
    public let geometry: RegionGeometry
    /// This opener's worker slot, or nil for the manager (maps and pre-faults everything).
    public let rank: Int?
    /// True when this opener created the file; the creator unlinks it on `cleanup()`.
    public let isCreator: Bool
    /// Start of the mapping; page aligned, so a row is page aligned whenever `rowStride` is a
    /// multiple of the page size (always for `.pageAligned`): usable for O_DIRECT I/O.
    public let baseAddress: UnsafeMutableRawPointer
    /// dev/ino of the mapped file, to unlink only that inode.
    public let fileStatus: FileStatus

    /// `S`: bytes between consecutive rows.
    public var rowStride: Int { geometry.rowStride }
    /// `B`: rows.
    public var numBlocks: Int { geometry.numBlocks }
    /// `M`: worker slots per row.
    public var numWorkers: Int { geometry.numWorkers }
    /// `P`: bytes per worker slot.
    public var cpuPageSize: Int { geometry.cpuPageSize }
    /// The row layout.
    public var layout: Layout { geometry.layout }
    /// `B * S`: bytes mapped.
    public var byteCount: Int { geometry.fileSize }
    /// The sidecar metadata path, `<path>.meta`.
    public var sidecarPath: String { RegionMetadata.sidecarPath(forRegionPath: path) }

    /// Offset of the next tensor inside this worker's slot; guarded by `lock`.
    private var cursor = 0
    private var mapped = true
    private let lock = Mutex(())
    /// Read on every view access (relaxed: a use after cleanup is a bug we want to catch,
    /// not a synchronization point).
    private let isMappedFlag = Atomic<Bool>(true)

    /// Creates or joins the region `<directory>/vllm_offload_<instanceID>.mmap`.
    ///
    /// - Parameters:
    ///   - instanceID: engine instance id; no `/`, `..` or NUL, at most 200 bytes.
    ///   - numBlocks: `B`, rows (blocks) in the region.
    ///   - rank: this worker's slot in `0..<numWorkers`, or nil for the manager.
    ///   - numWorkers: `M`, worker slots per row.
    ///   - cpuPageSize: `P`, bytes per worker slot.
    ///   - layout: `.seed` (`S = P*M`, the default) or `.pageAligned` (`S` rounded up to pages).
    ///   - directory: where the file lives; `/dev/shm` by default.
    ///   - timeout: seconds a joiner waits for the creator to size the file (30 by default,
    ///     as in vLLM). Pass a `Duration` (`.milliseconds(50)`) to the other initializer.
    /// - Throws: `SharedOffloadRegionError` naming what is wrong and what to do.
    public convenience init(
        instanceID: String,
        numBlocks: Int,
        rank: Int?,
        numWorkers: Int,
        cpuPageSize: Int,
        layout: Layout = .seed,
        directory: String = "/dev/shm",
        timeout: Double = 30
    ) throws {
        guard timeout >= 0, timeout.isFinite else {
            throw SharedOffloadRegionError.invalidGeometry(
                "timeout must be finite and >= 0, got \(timeout)")
        }
        try self.init(
            instanceID: instanceID, numBlocks: numBlocks, rank: rank, numWorkers: numWorkers,
            cpuPageSize: cpuPageSize, layout: layout, directory: directory,
            timeout: .milliseconds(Int64((timeout * 1000).rounded())), prefault: .automatic)
    }

    /// Creates or joins the region, with the joiner timeout as a `Duration`
    /// (e.g. `timeout: .seconds(5)`); see the other initializer for the parameters.
    public convenience init(
        instanceID: String,
        numBlocks: Int,
        rank: Int?,
        numWorkers: Int,
        cpuPageSize: Int,
        layout: Layout = .seed,
        directory: String = "/dev/shm",
        timeout: Duration
    ) throws {
        try self.init(
            instanceID: instanceID, numBlocks: numBlocks, rank: rank, numWorkers: numWorkers,
            cpuPageSize: cpuPageSize, layout: layout, directory: directory, timeout: timeout,
            prefault: .automatic)
    }

    /// How the opener pre-faults its pages (tests force the fallback).
    enum PrefaultMode { case automatic, touchFallback }

    init(
        instanceID: String, numBlocks: Int, rank: Int?, numWorkers: Int, cpuPageSize: Int,
        layout: Layout, directory: String, timeout: Duration, prefault: PrefaultMode
    ) throws {
        try InstanceID.validate(instanceID)
        let geometry = try RegionGeometry(
            numBlocks: numBlocks, numWorkers: numWorkers, cpuPageSize: cpuPageSize,
            layout: layout, pageSize: RegionSyscalls.pageSize)
        if let rank, !(0..<numWorkers).contains(rank) {
            throw SharedOffloadRegionError.invalidGeometry(
                "rank \(rank) is outside 0..<\(numWorkers) (numWorkers = \(numWorkers))")
        }
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        let path =
            (directory.isEmpty ? "." : directory) + "/" + InstanceID.fileName(for: instanceID)
        let opened = try RegionOpener(
            instanceID: instanceID, path: path, directory: directory.isEmpty ? "." : directory,
            geometry: geometry, rank: rank, timeout: timeout, prefault: prefault
        ).open()
        self.instanceID = instanceID
        self.path = path
        self.geometry = geometry
        self.rank = rank
        self.isCreator = opened.isCreator
        self.baseAddress = opened.base
        self.fileStatus = opened.status
    }

    deinit { cleanup() }

    /// Unmaps the region; the creator also unlinks the file and its sidecar, but only if the
    /// path still names the inode it created (a later generation is never touched). Calling
    /// it again does nothing.
    public func cleanup() {
        lock.withLock { _ in
            guard mapped else { return }
            mapped = false
            isMappedFlag.store(false, ordering: .relaxed)
            if isCreator {
                // Unlink while still mapped: the inode cannot be freed and its number reused
                // between the identity check and the unlink.
                RegionSyscalls.unlinkIfSameInode(path, expected: fileStatus)
                if let meta = try? RegionMetadata.read(path: sidecarPath),
                    meta.describes(fileStatus)
                {
                    _ = unlink(sidecarPath)
                }
            }
            let rc = munmap(baseAddress, byteCount)
            precondition(rc == 0, "munmap of our own mapping failed: errno \(errno)")
        }
    }

    /// True when every row starts on a multiple of `alignment` (a power of two), e.g. 4096
    /// for O_DIRECT transfers straight from the mapping: the base is page aligned, so this
    /// holds whenever `rowStride` is a multiple of `alignment` and `alignment <= pageSize`.
    public func rowsAreAligned(to alignment: Int) -> Bool {
        precondition(
            alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        return Int(bitPattern: baseAddress) % alignment == 0 && rowStride % alignment == 0
    }

    /// True until `cleanup()`.
    public var isMapped: Bool { isMappedFlag.load(ordering: .relaxed) }

    @inline(__always)
    func checkMapped() {
        precondition(isMappedFlag.load(ordering: .relaxed), "\(path): region used after cleanup()")
    }

    // MARK: Views

    /// A zero-copy view of the whole region as `numBlocks` rows of `rowStride` bytes.
    public func createKVMemoryView() -> KVMemoryView {
        checkMapped()
        return KVMemoryView(region: self)
    }

    /// A zero-copy view of the next `tensorPageSize` bytes of this worker's slot in every
    /// row; advances the slot cursor. Call once per canonical tensor, in registration order.
    /// - Throws: `.notRanked` for the manager; `.slotOverflow` (cursor unchanged) when the
    ///   tensor does not fit in the rest of the slot; `.invalidGeometry` for a size below 1.
    public func createNextView(tensorPageSize: Int) throws -> TensorView {
        checkMapped()
        guard let rank else { throw SharedOffloadRegionError.notRanked }
        guard tensorPageSize > 0 else {
            throw SharedOffloadRegionError.invalidGeometry(
                "tensorPageSize must be at least 1, got \(tensorPageSize)")
        }
        let offset: Int = try lock.withLock { _ in
            let remaining = cpuPageSize - cursor
            guard tensorPageSize <= remaining else {
                throw SharedOffloadRegionError.slotOverflow(
                    rank: rank, requestedBytes: tensorPageSize, remainingBytes: remaining,
                    overflowBytes: tensorPageSize - remaining)
            }
            defer { cursor += tensorPageSize }
            return cursor
        }
        return TensorView(
            region: self, offsetInRow: rank * cpuPageSize + offset, tensorPageSize: tensorPageSize)
    }

    /// Bytes of this worker's slot not yet handed out by `createNextView`.
    public var remainingSlotBytes: Int { lock.withLock { _ in cpuPageSize - cursor } }

    /// Calls `body` with row `block`: `rowStride` bytes at `baseAddress + block * rowStride`.
    /// The pointer must not escape `body`.
    @inline(__always)
    public func withUnsafeMutableBytes<R, E: Error>(
        ofRow block: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        checkMapped()
        precondition(block >= 0 && block < numBlocks, "row \(block) out of 0..<\(numBlocks)")
        return try body(
            UnsafeMutableRawBufferPointer(start: baseAddress + block &* rowStride, count: rowStride)
        )
    }

    /// Calls `body` with the whole mapping (`numBlocks * rowStride` bytes).
    public func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        checkMapped()
        return try body(UnsafeMutableRawBufferPointer(start: baseAddress, count: byteCount))
    }
}
