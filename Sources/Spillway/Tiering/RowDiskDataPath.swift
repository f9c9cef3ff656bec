// The real data path of the tiering core: rows of a RowStore (the shared region in
// production, plain memory in simulation), spilled to and loaded from a disk tier, with the
// deterministic payload written on store and checked on promotion.
import Foundation
import SpillwayCore
import SpillwaySystem

/// Moves real bytes for the `TieringCore` (under `TieringEngine` or `PrimaryTierManager`):
/// primary row `r` is row `r` of a `RowStore` (`RegionRowStore` over a `SharedOffloadRegion`
/// in production, `RowMemory` in simulation), disk record `d` is a block of a `DiskTier`
/// under the block's key. Generic over both, so the same path runs on the region with
/// io_uring (`URingIO`) and on plain memory with the fault-injecting simulator. Rows are
/// reached only through `withRow`; the store outlives every I/O into a row (the deinit
/// drains before the store is released).
///
/// - `writeRow` fills the row with the block's deterministic payload (`PayloadGenerator`).
/// - `copyToDisk` submits the store and returns at once (the row is copied into a staging
///   buffer before the submit returns, so the row may be reused); completions are reaped
///   lazily. A spill that fails later is counted (`spillFailures`) and the disk tier has
///   dropped the block, so its promotion fails through the engine's failed-read path: it is
///   never served. When nothing fails, the engine's counters equal the simulation's.
/// - `prefetchLoad` (one promotion batch at a time) submits every load of the batch, then
///   `loadFromDisk` waits for each and compares the row with the payload byte for byte: a
///   mismatch counts `verifyFailures` and fails the load (the engine drops the block).
/// - `removeFromDisk` and `loadFromDisk` first wait for a spill of that record still in
///   flight; `rowFreed` waits for a load into that row still in flight.
///
/// The disk tier must be sized with `DiskTierSizing` (it never evicts by itself; a
/// self-eviction is counted in `diskSelfEvictions` and the block then fails like any lost
/// block). A backend failure (the ring itself) is kept in `backendError`; from then on every
/// transfer fails, so nothing unverified is served. Not thread-safe.
public final class RowDiskDataPath<Rows: RowStore, IO: IOBackend>: TierDataPath {
    /// The primary tier's rows.
    public let rows: Rows
    /// The disk tier.
    public let disk: DiskTier<IO>
    /// Bytes of a block: the row store's row bytes.
    public let blockBytes: Int
    /// What `writeRow` writes and promotions are checked against; nil when the caller
    /// writes rows itself (`TieredStore`): promotions are then verified by the disk tier's
    /// checksums only.
    public let payload: PayloadKind?
    /// Counters so far (spills still in flight are not counted yet; see `drain()`).
    public private(set) var stats = DataPathStats()
    /// Load latency per promoted row, from submit to the reaped completion.
    package private(set) var loadLatency = LatencyHistogram()
    /// The first failure of the I/O backend itself, if any.
    public private(set) var backendError: (any Error)?

    private let recordCount: Int
    private let rowCount: Int
    /// Per disk record: a spill of it is in flight.
    private let storing: UnsafeMutablePointer<Bool>
    /// Per row: 0 idle, 1 load in flight, 2 loaded, 3 load failed.
    private let loadState: UnsafeMutablePointer<UInt8>
    private let loadStart: UnsafeMutablePointer<UInt64>
    /// Scratch for the expected payload of a row being verified (kinds not streamed).
    private let expected: UnsafeMutableRawPointer
    private var completions: [DiskCompletion] = []
    private let clock = ContinuousClock()
    private let epoch: ContinuousClock.Instant

    private static var storeTag: UInt64 { 1 << 62 }
    private static var idle: UInt8 { 0 }
    private static var inFlight: UInt8 { 1 }
    private static var loaded: UInt8 { 2 }
    private static var failed: UInt8 { 3 }

    /// Batches promotions: the engine announces each batch with `prefetchLoad`.
    public static var prefetchesLoads: Bool { true }

    /// A data path over `rows` (the primary rows, `rowStride` each) and `disk` (records
    /// `0..<diskRecords`). Installs the disk tier's `evictionHandler` and lets its allocator
    /// scan the whole file (it never needs to evict).
    public init(rows: Rows, disk: DiskTier<IO>, diskRecords: Int, payload: PayloadKind?) {
        precondition(disk.blockByteCountMax >= rows.rowStride, "disk tier blocks smaller than a row")
        self.rows = rows
        self.disk = disk
        self.payload = payload
        blockBytes = rows.rowStride
        rowCount = rows.rowCount
        recordCount = max(1, diskRecords)
        storing = .allocate(capacity: recordCount)
        storing.initialize(repeating: false, count: recordCount)
        loadState = .allocate(capacity: rowCount)
        loadState.initialize(repeating: 0, count: rowCount)
        loadStart = .allocate(capacity: rowCount)
        loadStart.initialize(repeating: 0, count: rowCount)
        expected = .allocate(byteCount: max(blockBytes, 16), alignment: 64)
        completions.reserveCapacity(max(64, disk.io.queueDepth))
        epoch = clock.now
        disk.allocationScanPageCountMax = disk.capacityBytes / DiskLayout.pageBytes + 1
        disk.evictionHandler = { [weak self] _ in self?.stats.diskSelfEvictions += 1 }
    }

    deinit {
        // Jobs may still be in flight into rows or from staging: wait them out first.
        drain()
        disk.evictionHandler = nil
        storing.deallocate()
        loadState.deallocate()
        loadStart.deallocate()
        expected.deallocate()
    }

    /// Lends row `row` to `body` (the store's scoped access).
    @inline(__always)
    private func withRow<R>(_ row: Int32, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        rows.withRow(Int(row), body)
    }

    @inline(__always)
    private func nanosecondsSinceEpoch() -> UInt64 {
        let parts = (clock.now - epoch).components
        return UInt64(parts.seconds) &* 1_000_000_000 &+ UInt64(parts.attoseconds / 1_000_000_000)
    }

    // MARK: TierDataPath

    public func writeRow(_ key: BlockKey, row: Int32) {
        precondition(
            loadState[Int(row)] == Self.idle, "writeRow into row \(row) with a load in flight")
        guard let payload else { return }
        withRow(row) { PayloadGenerator.fill($0, key: key, kind: payload) }
    }

    public func copyToDisk(_ key: BlockKey, row: Int32, record: Int32) -> TierIOOutcome {
        guard backendError == nil else { return .failed }
        precondition(!storing[Int(record)], "record \(record) reused with its spill in flight")
        let submitted = withRow(row) { bytes in
            while !disk.submitStore(key: key, bytes: UnsafeRawBufferPointer(bytes), token: Self.storeTag | UInt64(record)) {
                guard waitForCompletions() else { return false }
            }
            return true
        }
        guard submitted else { return .failed }
        storing[Int(record)] = true
        pollCompletions()
        return .completed
    }

    public func prefetchLoad(_ key: BlockKey, record: Int32, row: Int32) {
        startLoad(key, record: record, row: row)
    }

    public func loadFromDisk(_ key: BlockKey, record: Int32, row: Int32) -> TierIOOutcome {
        if loadState[Int(row)] == Self.idle { startLoad(key, record: record, row: row) }
        while loadState[Int(row)] == Self.inFlight {
            guard waitForCompletions() else { break }
        }
        let state = loadState[Int(row)]
        loadState[Int(row)] = Self.idle
        guard state == Self.loaded else {
            stats.loadFailures += 1
            return .failed
        }
        guard let payload else {
            stats.rowsRead += 1
            stats.bytesRead += blockBytes
            return .completed
        }
        // Generated and compared in one pass (random rows), nothing written.
        let same = withRow(row) {
            PayloadGenerator.verify(
                UnsafeRawBufferPointer($0), key: key, kind: payload, scratch: expected)
        }
        guard same else {
            stats.verifyFailures += 1
            stats.loadFailures += 1
            return .failed
        }
        stats.rowsRead += 1
        stats.bytesRead += blockBytes
        return .completed
    }

    public func removeFromDisk(_ key: BlockKey, record: Int32) {
        waitForSpill(record)
        // False when the block is already gone (failed spill or load): nothing to forget.
        disk.remove(key)
    }

    public func rowFreed(_ key: BlockKey, row: Int32) {
        let state = loadState[Int(row)]
        guard state != Self.idle else { return }
        while loadState[Int(row)] == Self.inFlight {
            guard waitForCompletions() else { break }
        }
        loadState[Int(row)] = Self.idle
        stats.discardedLoads += 1
    }

    // MARK: Jobs

    private func startLoad(_ key: BlockKey, record: Int32, row: Int32) {
        precondition(loadState[Int(row)] == Self.idle, "load into row \(row) already in flight")
        guard backendError == nil else {
            loadState[Int(row)] = Self.failed
            return
        }
        waitForSpill(record)
        loadStart[Int(row)] = nanosecondsSinceEpoch()
        // The load completes into the row after this returns: the store keeps the row's
        // memory for its whole life, and `rowFreed` / the deinit wait for the load.
        let submitted = withRow(row) { destination in
            while !disk.submitLoad(key: key, into: destination, token: UInt64(row)) {
                guard waitForCompletions() else { return false }
            }
            return true
        }
        guard submitted else {
            loadState[Int(row)] = Self.failed
            return
        }
        loadState[Int(row)] = Self.inFlight
        pollCompletions()
    }

    private func waitForSpill(_ record: Int32) {
        guard Int(record) < recordCount else { return }
        while storing[Int(record)] {
            guard waitForCompletions() else { return }
        }
    }

    /// Whether a load into `row` is still in flight (its `loadFromDisk` would wait).
    public func isLoading(row: Int32) -> Bool { loadState[Int(row)] == Self.inFlight }

    /// Submits what is queued and settles whatever finished, without waiting.
    public func poll() { pollCompletions() }

    /// Waits until at least one disk job finishes and settles it; false when none is in
    /// flight or the backend failed.
    @discardableResult
    public func waitForAny() -> Bool {
        guard disk.inFlightJobCount > 0 else { return false }
        return waitForCompletions()
    }

    /// Whether the spill of `record` is still in flight.
    public func isSpilling(record: Int32) -> Bool {
        record >= 0 && Int(record) < recordCount && storing[Int(record)]
    }

    /// Submits what is queued and handles whatever finished, without waiting.
    private func pollCompletions() {
        guard backendError == nil else { return }
        completions.removeAll(keepingCapacity: true)
        do {
            try disk.poll(into: &completions)
        } catch {
            failBackend(error)
            return
        }
        handle(completions)
    }

    /// Waits for at least one job to finish and handles it; false when the backend failed.
    private func waitForCompletions() -> Bool {
        guard backendError == nil else { return false }
        completions.removeAll(keepingCapacity: true)
        do {
            try disk.wait(into: &completions, minimum: 1)
        } catch {
            failBackend(error)
            return false
        }
        handle(completions)
        return true
    }

    private func handle(_ finished: [DiskCompletion]) {
        for completion in finished {
            if completion.token & Self.storeTag != 0 {
                let record = Int(completion.token & ~Self.storeTag)
                storing[record] = false
                if completion.outcome == .store(.stored) {
                    stats.rowsWritten += 1
                    stats.bytesWritten += blockBytes
                } else {
                    stats.spillFailures += 1
                }
            } else {
                let row = Int(completion.token)
                loadLatency.record(nanoseconds: nanosecondsSinceEpoch() &- loadStart[row])
                if case .load(.loaded(let count)) = completion.outcome, count == blockBytes {
                    loadState[row] = Self.loaded
                } else {
                    loadState[row] = Self.failed
                }
            }
        }
    }

    /// The ring itself failed: every job in flight is lost; fail them all (rows get no
    /// bytes of meaning, spills count as failed) and refuse further transfers.
    private func failBackend(_ error: any Error) {
        backendError = error
        for record in 0..<recordCount where storing[record] {
            storing[record] = false
            stats.spillFailures += 1
        }
        for row in 0..<rowCount where loadState[row] == Self.inFlight {
            loadState[row] = Self.failed
        }
    }

    /// Waits for every spill and load in flight and settles them (counters final).
    public func drain() {
        guard backendError == nil else { return }
        completions.removeAll(keepingCapacity: true)
        do {
            try disk.waitForAll(into: &completions)
        } catch {
            failBackend(error)
            return
        }
        handle(completions)
    }
}

/// The production data path: a shared region's rows and a disk tier.
public typealias RegionDiskDataPath<IO: IOBackend> = RowDiskDataPath<RegionRowStore, IO>

extension RowDiskDataPath where Rows == RegionRowStore {
    /// A data path over `region`'s rows (a `RegionRowStore`) and `disk`.
    public convenience init(
        region: SharedOffloadRegion, disk: DiskTier<IO>, diskRecords: Int, payload: PayloadKind?
    ) {
        self.init(rows: RegionRowStore(region: region), disk: disk, diskRecords: diskRecords, payload: payload)
    }
}
