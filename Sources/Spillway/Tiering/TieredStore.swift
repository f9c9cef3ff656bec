// The tiered store for engine integration: vLLM's offloading-worker job shape (submit store,
// submit load, poll, wait, drain) over the primary-tier manager (an adapter of the tiering
// core) and the real data path, with rows from a RowStore (the region, or plain memory).
import SpillwayCore
import SpillwaySystem

/// A thin job/poll facade over `PrimaryTierManager` (so over the `TieringCore`, the code the
/// replay runs) + `RowDiskDataPath`: blocks live in rows of a `RowStore` (primary: a shared
/// region's `RegionRowStore` in production, `RowMemory` under the simulator) and, per the
/// policy, on a disk tier (any `IOBackend`: `URingIO`, or `SimulatedIO` with faults).
///
/// - `submitStore(job:keys:write:)`: rows for the keys not yet in primary (evicting, which
///   spills under `.spill`), the caller's `write` fills each row, the blocks become
///   readable (under `.writeThrough` their disk writes start). The job finishes once its
///   rows are readable and, under write-through, its disk writes have completed.
/// - `submitLoad(job:keys:)`: the leading keys present in either tier; disk-only ones are
///   promoted into rows with their reads in flight together. The job finishes when every
///   read is settled; its result lists the readable leading keys and their rows, pinned
///   until `releaseLoad`. A failed read drops that block (it is in `failedKeys`, and the
///   result stops before it): wrong bytes are never handed out.
/// - `poll()` returns finished jobs without waiting, `wait(minimum:)` waits for some,
///   `drain()` for all (and every background spill).
/// - `store(_:bytes:)` / `load(_:into:)`: the synchronous facade, one block at a time.
///
/// Not thread-safe: one owner (the worker's I/O loop) drives it.
public final class TieredStore<Rows: RowStore, IO: IOBackend> {
    /// Directory and vLLM manager semantics.
    public let manager: PrimaryTierManager<RowDiskDataPath<Rows, IO>>
    /// Rows and disk.
    public var dataPath: RowDiskDataPath<Rows, IO> { manager.dataPath }

    private struct PendingLoad {
        var job: UInt64
        var keys: [BlockKey]
        var promoted: PreparePromotionResult
    }
    private struct PendingStore {
        var job: UInt64
        var keys: [BlockKey]
        var rows: [Int32]
    }
    private var pendingLoads: [PendingLoad] = []
    private var pendingStores: [PendingStore] = []
    private var finished: [TieredJobResult] = []

    /// A store over `rows` (primary) and `disk` (`diskBlocks` records; size it with
    /// `DiskTierSizing`). Events of the manager are off.
    public init(rows: Rows, disk: DiskTier<IO>, diskBlocks: Int, policy: TieringPolicy = .spill) {
        let dataPath = RowDiskDataPath(rows: rows, disk: disk, diskRecords: diskBlocks, payload: nil)
        manager = PrimaryTierManager(
            primaryBlocks: rows.rowCount, diskBlocks: diskBlocks, policy: policy,
            blockSize: rows.rowStride, eventsEnabled: false, dataPath: dataPath)
    }

    /// Jobs submitted and not yet returned by `poll`/`wait`/`drain`.
    public var pendingJobCount: Int { pendingLoads.count + pendingStores.count + finished.count }

    // MARK: Jobs

    /// Stores `keys`: rows for those not in primary, each filled by `write(key, row bytes)`
    /// before this returns (the bytes are lent for the call only). Returns false, changing nothing, when room cannot be made (every
    /// evictable block is pinned or among `keys`).
    public func submitStore(
        job: UInt64, keys: [BlockKey], write: (BlockKey, UnsafeMutableRawBufferPointer) -> Void
    ) -> Bool {
        guard let prepared = manager.prepareStore(keys) else { return false }
        for (key, row) in zip(prepared.keysToStore, prepared.rows) {
            dataPath.rows.withRow(Int(row)) { write(key, $0) }
        }
        manager.completeStore(prepared.keysToStore, success: true)
        pendingStores.append(
            PendingStore(job: job, keys: prepared.keysToStore, rows: prepared.rows))
        settle()
        return true
    }

    /// Loads the leading stored blocks of `keys` into rows (promoting disk-only ones).
    /// Returns false when room for the promotions cannot be made or a leading key is being
    /// promoted by another job (retry after that job finishes).
    public func submitLoad(job: UInt64, keys: [BlockKey]) -> Bool {
        let found = manager.lookup(keys)
        guard case .hit(let count, _) = found else { return false }
        let leading = Array(keys.prefix(count))
        guard let promoted = manager.preparePromotion(leading) else { return false }
        for index in promoted.keys.indices {
            dataPath.prefetchLoad(
                promoted.keys[index], record: promoted.records[index], row: promoted.rows[index])
        }
        pendingLoads.append(PendingLoad(job: job, keys: leading, promoted: promoted))
        settle()
        return true
    }

    /// Unpins the rows of a finished load job (vLLM's `complete_load`).
    public func releaseLoad(_ result: TieredJobResult) {
        precondition(result.kind == .load, "releaseLoad of a store job")
        manager.completeLoad(result.keys)
    }

    /// Finished jobs, without waiting.
    public func poll() -> [TieredJobResult] {
        dataPath.poll()
        settle()
        return takeFinished()
    }

    /// Waits until at least `minimum` jobs finished (or none is left), then returns every
    /// finished one.
    public func wait(minimum: Int = 1) -> [TieredJobResult] {
        dataPath.poll()
        settle()
        while finished.count < minimum, !pendingLoads.isEmpty || !pendingStores.isEmpty {
            if !dataPath.waitForAny() { break }
            settle()
        }
        return takeFinished()
    }

    /// Waits for every job and every background spill; returns the jobs.
    public func drain() -> [TieredJobResult] {
        dataPath.drain()
        settle()
        precondition(
            pendingLoads.isEmpty && pendingStores.isEmpty || dataPath.backendError != nil,
            "jobs left after a drain")
        return takeFinished()
    }

    private func takeFinished() -> [TieredJobResult] {
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }

    /// Moves every job whose I/O is done to `finished`.
    private func settle() {
        pendingStores.removeAll { store in
            let busy = store.keys.contains { key in
                let slot = manager.directory.find(key)
                return slot >= 0 && dataPath.isSpilling(record: manager.directory.diskRecord(slot))
            }
            if busy && dataPath.backendError == nil { return false }
            finished.append(
                TieredJobResult(job: store.job, kind: .store, keys: store.keys, rows: store.rows))
            return true
        }
        pendingLoads.removeAll { load in
            let promoted = load.promoted
            if dataPath.backendError == nil,
                promoted.rows.contains(where: { dataPath.isLoading(row: $0) })
            {
                return false
            }
            var succeeded: [BlockKey] = []
            var failed: [BlockKey] = []
            for index in promoted.keys.indices {
                let outcome = dataPath.loadFromDisk(
                    promoted.keys[index], record: promoted.records[index], row: promoted.rows[index]
                )
                if outcome == .completed {
                    succeeded.append(promoted.keys[index])
                } else {
                    failed.append(promoted.keys[index])
                }
            }
            if !succeeded.isEmpty { manager.completePromotion(succeeded, success: true) }
            if !failed.isEmpty { manager.completePromotion(failed, success: false) }
            // The readable leading keys now (a failed read cuts the run there).
            var readable: [BlockKey] = []
            for key in load.keys {
                let slot = manager.directory.find(key)
                guard slot >= 0, manager.directory.row(slot) >= 0,
                    manager.directory.refCount(slot) >= 0
                else { break }
                readable.append(key)
            }
            let rows = readable.isEmpty ? [] : manager.prepareLoad(readable)
            finished.append(
                TieredJobResult(
                    job: load.job, kind: .load, keys: readable, rows: rows, failedKeys: failed))
            return true
        }
    }

    // MARK: Synchronous facade

    /// Stores one block (copied into its row) and waits for its job. False when no room.
    public func store(_ key: BlockKey, bytes: UnsafeRawBufferPointer) -> Bool {
        precondition(
            bytes.count <= dataPath.blockBytes, "block of \(bytes.count) bytes exceeds a row")
        let job = UInt64.max
        let accepted = submitStore(job: job, keys: [key]) { _, row in
            row.copyMemory(from: bytes)
            if bytes.count < row.count {
                (row.baseAddress! + bytes.count).initializeMemory(
                    as: UInt8.self, repeating: 0, count: row.count - bytes.count)
            }
        }
        guard accepted else { return false }
        waitFor(job: job)
        return true
    }

    /// Loads one block into `buffer` (a whole row, `blockBytes`), promoting it from disk if
    /// needed. False when the block is absent, its read failed, or no room for it.
    public func load(_ key: BlockKey, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        precondition(buffer.count >= dataPath.blockBytes, "buffer smaller than a row")
        let job = UInt64.max - 1
        guard submitLoad(job: job, keys: [key]) else { return false }
        let result = waitFor(job: job)
        guard let row = result.rows.first else { return false }
        dataPath.rows.withRow(Int(row)) { buffer.copyMemory(from: UnsafeRawBufferPointer($0)) }
        releaseLoad(result)
        return true
    }

    /// Waits for one job; other jobs finishing meanwhile stay queued for `poll`.
    @discardableResult
    private func waitFor(job: UInt64) -> TieredJobResult {
        while true {
            dataPath.poll()
            settle()
            if let index = finished.firstIndex(where: { $0.job == job }) {
                return finished.remove(at: index)
            }
            if !dataPath.waitForAny() {
                settle()
                if let index = finished.firstIndex(where: { $0.job == job }) {
                    return finished.remove(at: index)
                }
                preconditionFailure("job \(job) cannot finish: no I/O in flight")
            }
        }
    }
}

extension TieredStore where Rows == RegionRowStore {
    /// A store over `region`'s rows (a `RegionRowStore`) and `disk`.
    public convenience init(
        region: SharedOffloadRegion, disk: DiskTier<IO>, diskBlocks: Int,
        policy: TieringPolicy = .spill
    ) {
        self.init(rows: RegionRowStore(region: region), disk: disk, diskBlocks: diskBlocks, policy: policy)
    }
}
