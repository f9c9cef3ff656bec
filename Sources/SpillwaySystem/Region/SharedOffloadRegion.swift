// The primary tier: a shared, mmap-backed region in /dev/shm laid out in rows, byte-compatible
// with vLLM's SharedOffloadRegion (0.33: one or several segment files, one mapping), created
// and joined with the protocol of docs/REGION.md.
import Glibc
import Synchronization
import SystemPackage

/// A shared memory region of `numBlocks` rows; each row holds one slot of `cpuPageSize` bytes
/// per worker, then (for `.pageAligned`) padding. Every worker process of one engine instance
/// and the manager map the same file at `<directory>/vllm_offload_<instanceID>.mmap`.
///
/// The first opener creates the file (`isCreator`), later openers join it. A region of 2 GiB
/// or more can be split over `numSegments` files (`<path>`, `<path>.1`, ...) mapped back to
/// back, as vLLM 0.33 does. Rows are exposed zero-copy through `createKVMemoryView()` (whole
/// rows, what the disk tier moves), `createNextView(tensorPageSize:)` (one tensor's bytes
/// inside this worker's slot) and `createNextCanonicalView(tensorPageSize:)` (one tensor's
/// bytes from the start of every row, the same for every worker).
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
    /// dev/ino of the first (or only) mapped file, to unlink only that inode.
    public let fileStatus: FileStatus
    /// The backing files, `path` first; more than one only for regions of 2 GiB or more
    /// opened with `numSegments > 1`.
    public let segments: [RegionSegment]
    /// dev/ino of every segment file, in `segments` order.
    public let segmentStatuses: [FileStatus]

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
    /// Offset of the next canonical tensor inside every row; guarded by `lock`.
    private var canonicalCursor = 0
    private var mapped = true
    /// Row stores holding the mapping (`RegionRowStore`); while any does, `cleanup()` defers
    /// the unmap to the last one's release. Guarded by `lock`.
    private var mappingPins = 0
    private var unmapDeferred = false
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
    ///   - layout: `.pageAligned` (`S` rounded up to pages, what vLLM writes today; the
    ///     default) or `.seed` (`S = P*M`, for vLLM 0.22 peers).
    ///   - directory: where the file lives; `/dev/shm` by default.
    ///   - timeout: seconds a joiner waits for the creator to size the file (30 by default,
    ///     as in vLLM). Pass a `Duration` (`.milliseconds(50)`) to the other initializer.
    ///   - numSegments: upper bound on backing files (vLLM 0.33's `num_segments`; its CPU
    ///     offloading passes 32). The file count is `RegionSegment.plan`'s: one per full GiB
    ///     at most, so 1 below 2 GiB. Every participant must pass the same value.
    ///   - populateShard: pre-fault only this share of the region instead of this rank's
    ///     slots (every worker maps the same bytes: vLLM's replicated layout).
    ///   - barrier: called once every participant should have mapped; when it returns, the
    ///     creator unlinks every file (mappings stay valid, a crash can no longer leak
    ///     `/dev/shm`). With `populateShard` it is called a second time after pre-faulting.
    ///     If opening fails first, it is still called as often, then the error is rethrown.
    ///   - creatorMemoryCheck: called by the creator with the region size before sizing any
    ///     file; throw to refuse (the error is rethrown as is, after cleanup).
    /// - Throws: `SharedOffloadRegionError` naming what is wrong and what to do, or what
    ///   `barrier` / `creatorMemoryCheck` threw.
    public convenience init(
        instanceID: String,
        numBlocks: Int,
        rank: Int?,
        numWorkers: Int,
        cpuPageSize: Int,
        layout: Layout = .pageAligned,
        directory: String = "/dev/shm",
        timeout: Double = 30,
        numSegments: Int = 1,
        populateShard: PopulateShard? = nil,
        barrier: (() throws -> Void)? = nil,
        creatorMemoryCheck: ((Int) throws -> Void)? = nil
    ) throws {
        guard timeout >= 0, timeout.isFinite else {
            throw SharedOffloadRegionError.invalidGeometry(
                "timeout must be finite and >= 0, got \(timeout)")
        }
        try self.init(
            instanceID: instanceID, numBlocks: numBlocks, rank: rank, numWorkers: numWorkers,
            cpuPageSize: cpuPageSize, layout: layout, directory: directory,
            timeout: .milliseconds(Int64((timeout * 1000).rounded())), numSegments: numSegments,
            populateShard: populateShard, barrier: barrier,
            creatorMemoryCheck: creatorMemoryCheck, prefault: .automatic)
    }

    /// Creates or joins the region, with the joiner timeout as a `Duration`
    /// (e.g. `timeout: .seconds(5)`); see the other initializer for the parameters.
    public convenience init(
        instanceID: String,
        numBlocks: Int,
        rank: Int?,
        numWorkers: Int,
        cpuPageSize: Int,
        layout: Layout = .pageAligned,
        directory: String = "/dev/shm",
        timeout: Duration,
        numSegments: Int = 1,
        populateShard: PopulateShard? = nil,
        barrier: (() throws -> Void)? = nil,
        creatorMemoryCheck: ((Int) throws -> Void)? = nil
    ) throws {
        try self.init(
            instanceID: instanceID, numBlocks: numBlocks, rank: rank, numWorkers: numWorkers,
            cpuPageSize: cpuPageSize, layout: layout, directory: directory, timeout: timeout,
            numSegments: numSegments, populateShard: populateShard, barrier: barrier,
            creatorMemoryCheck: creatorMemoryCheck, prefault: .automatic)
    }

    /// How the opener pre-faults its pages (tests force the fallback).
    enum PrefaultMode { case automatic, touchFallback }

    init(
        instanceID: String, numBlocks: Int, rank: Int?, numWorkers: Int, cpuPageSize: Int,
        layout: Layout, directory: String, timeout: Duration, numSegments: Int = 1,
        populateShard: PopulateShard? = nil, barrier: (() throws -> Void)? = nil,
        creatorMemoryCheck: ((Int) throws -> Void)? = nil, prefault: PrefaultMode
    ) throws {
        try InstanceID.validate(instanceID)
        let geometry = try RegionGeometry(
            numBlocks: numBlocks, numWorkers: numWorkers, cpuPageSize: cpuPageSize,
            layout: layout, pageSize: RegionSyscalls.pageSize)
        if let rank, !(0..<numWorkers).contains(rank) {
            throw SharedOffloadRegionError.invalidGeometry(
                "rank \(rank) is outside 0..<\(numWorkers) (numWorkers = \(numWorkers))")
        }
        guard numSegments >= 1 else {
            throw SharedOffloadRegionError.invalidGeometry(
                "numSegments must be at least 1, got \(numSegments)")
        }
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        let path =
            (directory.isEmpty ? "." : directory) + "/" + InstanceID.fileName(for: instanceID)
        let segments = RegionSegment.plan(
            regionPath: path, geometry: geometry, requested: numSegments)
        let opened = try RegionOpener(
            instanceID: instanceID, path: path, directory: directory.isEmpty ? "." : directory,
            geometry: geometry, segments: segments, rank: rank, timeout: timeout,
            prefault: prefault, barrier: barrier, creatorMemoryCheck: creatorMemoryCheck,
            populateShard: populateShard
        ).open()
        self.instanceID = instanceID
        self.path = path
        self.geometry = geometry
        self.rank = rank
        self.isCreator = opened.isCreator
        self.baseAddress = opened.base
        self.fileStatus = opened.statuses[0]
        self.segments = segments
        self.segmentStatuses = opened.statuses
    }

    deinit { cleanup() }

    /// Unmaps the region; the creator also unlinks every segment file and the sidecar, but
    /// only paths that still name the inodes it created (a later generation is never
    /// touched; after a barrier they are gone already). Calling it again does nothing.
    /// Views trap from now on; while a `RegionRowStore` still holds the mapping, the unmap
    /// itself waits for its release, so memory a row store lent out is never unmapped.
    public func cleanup() {
        lock.withLock { _ in
            guard mapped else { return }
            mapped = false
            isMappedFlag.store(false, ordering: .relaxed)
            if isCreator {
                // Unlink while still mapped: the inode cannot be freed and its number reused
                // between the identity check and the unlink.
                RegionOpener.unlinkFiles(
                    segments: segments, statuses: segmentStatuses, sidecar: sidecarPath)
            }
            if mappingPins > 0 {
                unmapDeferred = true
                return
            }
            unmap()
        }
    }

    private func unmap() {
        let rc = munmap(baseAddress, byteCount)
        precondition(rc == 0, "munmap of our own mapping failed: errno \(errno)")
    }

    /// Keeps the mapping alive until the matching `releaseMapping()` (row stores).
    func retainMapping() {
        lock.withLock { _ in
            precondition(mapped, "\(path): region used after cleanup()")
            mappingPins += 1
        }
    }

    /// Gives back a `retainMapping()`; the last one unmaps when `cleanup()` was deferred.
    func releaseMapping() {
        lock.withLock { _ in
            precondition(mappingPins > 0, "mapping released more often than retained")
            mappingPins -= 1
            if mappingPins == 0 && unmapDeferred {
                unmapDeferred = false
                unmap()
            }
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
        let offset = try advance(\.cursor, by: tensorPageSize, limit: cpuPageSize) {
            .slotOverflow(
                rank: rank, requestedBytes: tensorPageSize, remainingBytes: $0,
                overflowBytes: tensorPageSize - $0)
        }
        return TensorView(
            region: self, offsetInRow: rank * cpuPageSize + offset, tensorPageSize: tensorPageSize)
    }

    /// A zero-copy view of the next `tensorPageSize` bytes from the start of every row,
    /// shared by all workers (vLLM 0.33's `create_next_canonical_view`, its canonical
    /// layout): every worker that calls it in the same order gets the same bytes and writes
    /// only its own part of them. Call once per canonical tensor, instead of `createNextView`;
    /// the cursor is separate from the slot cursor and runs up to `rowStride`. Works for the
    /// manager too.
    /// - Throws: `.canonicalOverflow` (cursor unchanged) when the tensor does not fit in the
    ///   rest of the row; `.invalidGeometry` for a size below 1.
    public func createNextCanonicalView(tensorPageSize: Int) throws -> TensorView {
        checkMapped()
        let offset = try advance(\.canonicalCursor, by: tensorPageSize, limit: rowStride) {
            .canonicalOverflow(requestedBytes: tensorPageSize, remainingBytes: $0)
        }
        return TensorView(region: self, offsetInRow: offset, tensorPageSize: tensorPageSize)
    }

    /// Hands out `size` bytes at the view cursor `cursor` (slot or canonical) if they fit
    /// below `limit`, and returns where they start; otherwise throws `overflow(remaining)`
    /// and leaves the cursor as it was.
    private func advance(
        _ cursor: ReferenceWritableKeyPath<SharedOffloadRegion, Int>, by size: Int, limit: Int,
        overflow: (Int) -> SharedOffloadRegionError
    ) throws -> Int {
        guard size > 0 else {
            throw SharedOffloadRegionError.invalidGeometry(
                "tensorPageSize must be at least 1, got \(size)")
        }
        return try lock.withLock { _ in
            let start = self[keyPath: cursor]
            guard size <= limit - start else { throw overflow(limit - start) }
            self[keyPath: cursor] = start + size
            return start
        }
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
