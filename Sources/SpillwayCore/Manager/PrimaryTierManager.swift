// The offloading manager with vLLM's CPU offloading manager semantics, an adapter over the
// TieringCore (which makes room, spills / writes through and promotes), plus events.

/// vLLM's `CPUOffloadingManager` (LRU policy) over a `BlockDirectory`, plus the disk tier.
///
/// Mirrored from vllm/v1/kv_offload/cpu_manager.py (`CPUOffloadingManager`,
/// `LRUCachePolicy`; earlier lru_manager.py + backends/cpu.py):
/// - ref count per block: -1 while being written, 0 evictable, >0 being read
///   (`BlockStatus.ref_cnt`, `is_ready == ref_cnt >= 0`);
/// - `lookup` counts leading ready blocks and never changes recency;
/// - `touch` walks the keys in reverse (`reversed(list(block_hashes))` + `move_to_end`), so the
///   first key ends most recent; it also moves blocks still being written;
/// - `prepareStore` filters out keys already present, returns an empty (non-nil) result when
///   none is left, evicts `len(to_store) - free` blocks with ref count 0 that are not among
///   the input keys (`protected = set(block_hashes_list)`), least recent first, returns nil
///   changing nothing when it cannot, emits one `removed` event (medium CPU) for the evicted
///   batch, then allocates rows fresh-first (`_num_allocated_blocks` counting up) then from
///   the free list popped from its end (last freed first) and appends the new blocks most
///   recent in input order with ref count -1;
/// - `completeStore(success: true)` sets ref 0 on blocks still being written and emits one
///   `stored` event (CPU) for them; `success: false` frees only blocks still being written
///   (already-readable ones stay) and emits nothing;
/// - `prepareLoad` asserts readiness and increments; `completeLoad` asserts > 0 and
///   decrements.
///
/// Spillway's additions (disk tier, docs/SEMANTICS.md), all absent when `diskBlocks == 0`:
/// - a key present only on disk counts as stored for `lookup` (hit-pending, see
///   `ManagerLookup`) but not for `prepareStore` (which gives it a row, so a block recomputed
///   by the engine lands in primary; its disk copy stays);
/// - spill: a block evicted from primary that is not on disk is written to disk (event
///   `stored`/STORAGE); write-through: `completeStore(success: true)` writes the new blocks to
///   disk. Disk is LRU over disk-resident blocks, skipping the operation's input keys and
///   blocks whose disk copy is being read; evicted copies get a `removed`/STORAGE event; when
///   nothing is evictable the write is dropped;
/// - `preparePromotion` / `completePromotion` bring disk-only blocks into rows (ref -1 and a
///   pinned disk copy while in flight; `lookup` answers `.retry` meanwhile). A failed read
///   drops the block from both tiers (`removed`/STORAGE) so it is never served.
/// Events come in the order things happened; disk writes in the data path are synchronous.
/// Every block movement is the `TieringCore`'s (the same code the replay runs); this type
/// adds vLLM's API, ref counts, events and ownStats.
/// Duplicate keys in one `prepareStore` are stored once (vLLM would allocate two rows).
public final class PrimaryTierManager<DataPath: TierDataPath> {
    /// The core that moves the blocks (it logs the keys moved: `evicted` results, events).
    package let core: TieringCore<DataPath>
    package var directory: BlockDirectory { core.directory }
    public var policy: TieringPolicy { core.policy }
    public var dataPath: DataPath { core.dataPath }
    /// Bytes per block, reported in events.
    public let blockSize: Int
    /// The manager's own counters; `stats` adds the core's movement counters.
    private var ownStats = ManagerStats()
    private var events: [OffloadingEvent]?
    // Scratch reused by every operation (emptied keeping capacity), so that after warm-up the
    // operations allocate nothing per block (spillway-alloc-probe counts it).
    private var scratchSeen = Set<BlockKey>()
    private var scratchStored: [BlockKey] = []
    // Loops over arrays go by index: in a debug build `for x in array` runs the unspecialized
    // IndexingIterator, which mallocs per element of a large type such as BlockKey.

    /// A manager over a fresh directory of `primaryBlocks` rows and `diskBlocks` disk records.
    public init(
        primaryBlocks: Int, diskBlocks: Int = 0, policy: TieringPolicy = .spill,
        blockSize: Int, eventsEnabled: Bool = true, dataPath: DataPath
    ) {
        core = TieringCore(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy,
            dataPath: dataPath, logsMoves: true)
        self.blockSize = blockSize
        events = eventsEnabled ? [] : nil
    }

    /// Counters since creation (movements from the core).
    public var stats: ManagerStats {
        var result = ownStats
        let moved = core.counters
        result.primaryEvictions = moved.primaryEvictions
        result.diskWrites = moved.diskWrites
        result.diskWriteFailures = moved.diskWriteFailures
        result.diskEvictions = moved.diskEvictions
        result.promotionsCompleted = moved.diskReads
        result.promotionsFailed = moved.diskReadFailures
        return result
    }

    // MARK: Lookup

    /// How many leading keys are stored (in primary and readable, or on disk), and how many
    /// of those are disk-only; `.retry` while one of them is being promoted. Does not change
    /// recency.
    public func lookup(_ keys: some Sequence<BlockKey>) -> ManagerLookup {
        ownStats.lookups += 1
        var count = 0
        var pending = 0
        for key in keys {
            switch lookupStep(key, pending: &pending) {
            case .counted: count += 1
            case .stop: return lookupHit(count: count, pending: pending)
            case .retry: return .retry
            }
        }
        return lookupHit(count: count, pending: pending)
    }

    /// `lookup` for an Array, walked by index: the generic version's iterator costs a heap
    /// allocation per call when not specialized (debug builds, callers in other modules).
    public func lookup(_ keys: [BlockKey]) -> ManagerLookup {
        ownStats.lookups += 1
        var count = 0
        var pending = 0
        for index in 0..<keys.count {
            switch lookupStep(keys[index], pending: &pending) {
            case .counted: count += 1
            case .stop: return lookupHit(count: count, pending: pending)
            case .retry: return .retry
            }
        }
        return lookupHit(count: count, pending: pending)
    }

    private enum LookupStep { case counted, stop, retry }

    /// One key of `lookup`: counted (stored; `pending` + 1 when disk-only), stop (absent or
    /// being stored: not ready, vLLM `not block.is_ready`) or retry (being promoted).
    @inline(__always)
    private func lookupStep(_ key: BlockKey, pending: inout Int) -> LookupStep {
        let slot = directory.find(key)
        if slot < 0 { return .stop }
        if directory.row(slot) >= 0 {
            if directory.refCount(slot) < 0 {
                if isPromoting(slot) {
                    ownStats.lookupRetries += 1
                    return .retry
                }
                return .stop
            }
        } else {
            pending += 1
        }
        return .counted
    }

    private func lookupHit(count: Int, pending: Int) -> ManagerLookup {
        ownStats.lookupHitBlocks += count
        return .hit(count: count, pending: pending)
    }

    @inline(__always)
    private func isPromoting(_ slot: BlockDirectory.Slot) -> Bool { core.isPromoting(slot) }

    // MARK: Load

    /// Pins the blocks for reading (ref count + 1) and returns their rows. Every key must be
    /// readable in primary (a lookup hit); anything else is a caller bug and traps.
    public func prepareLoad(_ keys: [BlockKey]) -> [Int32] {
        var rows: [Int32] = []
        prepareLoad(keys, into: &rows)
        return rows
    }

    /// `prepareLoad` writing the rows into `rows` (emptied first, capacity kept): no
    /// allocation once `rows` has grown to the largest batch.
    public func prepareLoad(_ keys: [BlockKey], into rows: inout [Int32]) {
        rows.removeAll(keepingCapacity: true)
        for position in 0..<keys.count {
            let key = keys[position]
            let slot = directory.find(key)
            precondition(slot >= 0 && directory.row(slot) >= 0, "block \(key) not in primary")
            precondition(directory.refCount(slot) >= 0, "block \(key) is not ready for reading")
            directory.setRefCount(slot, directory.refCount(slot) + 1)
            ownStats.loadedBlocks += 1
            rows.append(directory.row(slot))
        }
    }

    /// Unpins blocks pinned by `prepareLoad`.
    public func completeLoad(_ keys: [BlockKey]) {
        for position in 0..<keys.count {
            let key = keys[position]
            let slot = directory.find(key)
            precondition(slot >= 0 && directory.row(slot) >= 0, "block \(key) not found")
            precondition(directory.refCount(slot) > 0, "block \(key) ref count is already 0")
            directory.setRefCount(slot, directory.refCount(slot) - 1)
        }
    }

    // MARK: Touch

    /// Marks the blocks recently used in both tiers, walking `keys` in reverse so the first
    /// key ends most recent. Absent keys are ignored.
    public func touch(_ keys: [BlockKey]) {
        // An index loop, not `keys.reversed()`: unspecialized, that iterator allocates.
        var index = keys.count - 1
        while index >= 0 {
            let slot = directory.find(keys[index])
            index -= 1
            guard slot >= 0 else { continue }
            core.touch(slot)
        }
    }

    // MARK: Store

    /// Allocates rows for the keys not already in primary, evicting if needed; nil (and no
    /// change at all) when not enough unpinned, unprotected blocks can be evicted.
    public func prepareStore(_ keys: [BlockKey]) -> PrepareStoreResult? {
        var result = PrepareStoreResult(keysToStore: [], rows: [], evicted: [])
        return prepareStore(keys, into: &result) ? result : nil
    }

    /// `prepareStore` filling `result` (its arrays emptied first, capacity kept); false (and
    /// no change to the manager) where `prepareStore` returns nil. No allocation once the
    /// arrays have grown to the largest batch.
    public func prepareStore(_ keys: [BlockKey], into result: inout PrepareStoreResult) -> Bool {
        result.keysToStore.removeAll(keepingCapacity: true)
        result.rows.removeAll(keepingCapacity: true)
        result.evicted.removeAll(keepingCapacity: true)
        directory.beginProtection()
        scratchSeen.removeAll(keepingCapacity: true)
        for position in 0..<keys.count {
            let key = keys[position]
            let slot = directory.find(key)
            if slot >= 0 {
                directory.protect(slot)
                if directory.row(slot) >= 0 { continue }
            }
            if scratchSeen.insert(key).inserted { result.keysToStore.append(key) }
        }
        if result.keysToStore.isEmpty { return true }
        guard makeRoom(result.keysToStore.count, evicted: &result.evicted) else {
            ownStats.storeRejected += 1
            result.keysToStore.removeAll(keepingCapacity: true)
            return false
        }
        for position in 0..<result.keysToStore.count {
            let key = result.keysToStore[position]
            var slot = directory.find(key)
            if slot < 0 { slot = directory.insert(key) }
            result.rows.append(directory.attachPrimary(slot, refCount: -1))
        }
        ownStats.storePreparedBlocks += result.keysToStore.count
        return true
    }

    /// Finishes a store: on success the blocks still being written become readable (one
    /// `stored`/CPU event) and, under write-through, are written to disk; on failure the
    /// blocks still being written are freed and blocks already readable stay.
    public func completeStore(_ keys: [BlockKey], success: Bool = true) {
        scratchStored.removeAll(keepingCapacity: true)
        directory.beginProtection()
        for position in 0..<keys.count {
            let key = keys[position]
            let slot = directory.find(key)
            if slot >= 0 { directory.protect(slot) }
        }
        for position in 0..<keys.count {
            let key = keys[position]
            let slot = directory.find(key)
            guard slot >= 0, directory.row(slot) >= 0, directory.refCount(slot) < 0, !isPromoting(slot) else {
                continue
            }
            if success {
                directory.setRefCount(slot, 0)
                scratchStored.append(key)
            } else {
                core.releaseRow(slot)
                ownStats.storeFailedBlocks += 1
            }
        }
        ownStats.storedBlocks += scratchStored.count
        if !scratchStored.isEmpty { emit(scratchStored, .cpu, removed: false) }
        if success && policy == .writeThrough && directory.diskCapacity > 0 {
            core.clearMoves()
            for position in 0..<scratchStored.count {
                let slot = directory.find(scratchStored[position])
                core.writeToDisk(slot, row: directory.row(slot))
            }
            emitDiskMoves()
        }
    }

    // MARK: Promotion

    /// Gives the disk-only blocks among `keys` primary rows to be read into (ref -1, disk
    /// copy pinned), evicting if needed (the input keys are protected); nil and no change
    /// when room cannot be made. Keys absent or already in primary are skipped.
    public func preparePromotion(_ keys: [BlockKey]) -> PreparePromotionResult? {
        directory.beginProtection()
        var toPromote: [BlockDirectory.Slot] = []
        for key in keys {
            let slot = directory.find(key)
            guard slot >= 0 else { continue }
            directory.protect(slot)
            if directory.row(slot) < 0 && !toPromote.contains(slot) { toPromote.append(slot) }
        }
        if toPromote.isEmpty { return PreparePromotionResult(keys: [], rows: [], records: [], evicted: []) }
        var result = PreparePromotionResult(keys: [], rows: [], records: [], evicted: [])
        guard makeRoom(toPromote.count, evicted: &result.evicted) else {
            ownStats.promotionRejected += 1
            return nil
        }
        for slot in toPromote {
            result.keys.append(directory.key(slot))
            result.rows.append(core.beginPromotion(slot))
            result.records.append(directory.diskRecord(slot))
        }
        ownStats.promotionsStarted += toPromote.count
        return result
    }

    /// Finishes promotions of `keys` (others are ignored). Success: the blocks become
    /// readable in primary (one `stored`/CPU event), disk copies stay. Failure (the read or
    /// its verification failed): each block is dropped from both tiers (`removed`/STORAGE),
    /// so a later lookup misses instead of serving bad bytes.
    public func completePromotion(_ keys: [BlockKey], success: Bool) {
        var done: [BlockKey] = []
        for key in keys {
            let slot = directory.find(key)
            guard slot >= 0, isPromoting(slot) else { continue }
            core.finishPromotion(slot, success: success)
            done.append(key)
        }
        if !done.isEmpty { emit(done, success ? .cpu : .storage, removed: !success) }
    }

    /// Synchronous facade: promotes the disk-only blocks among `keys` through the data path
    /// (`loadFromDisk`), completing each. Returns the keys that failed (dropped), or nil when
    /// room could not be made.
    public func promote(_ keys: [BlockKey]) -> [BlockKey]? {
        guard let prepared = preparePromotion(keys) else { return nil }
        var failed: [BlockKey] = []
        var completed: [BlockKey] = []
        for index in prepared.keys.indices {
            let outcome = dataPath.loadFromDisk(
                prepared.keys[index], record: prepared.records[index], row: prepared.rows[index])
            if outcome == .completed { completed.append(prepared.keys[index]) } else { failed.append(prepared.keys[index]) }
        }
        if !completed.isEmpty { completePromotion(completed, success: true) }
        if !failed.isEmpty { completePromotion(failed, success: false) }
        return failed
    }

    // MARK: Events

    /// The events since the last call, oldest first (empty when events are disabled).
    public func takeEvents() -> [OffloadingEvent] {
        guard let pending = events else { return [] }
        events = []
        return pending
    }

    private func emit(_ keys: [BlockKey], _ medium: OffloadingMedium, removed: Bool) {
        events?.append(OffloadingEvent(keys: keys, blockSize: blockSize, medium: medium, removed: removed))
    }

    /// The core's disk moves as events: removed copies first, then stored ones.
    private func emitDiskMoves() {
        guard events != nil else { return }
        let moves = core.moves
        if !moves.diskRemoved.isEmpty { emit(moves.diskRemoved, .storage, removed: true) }
        if !moves.diskStored.isEmpty { emit(moves.diskStored, .storage, removed: false) }
    }

    // MARK: Eviction

    /// Frees rows for `count` blocks through the core (all or nothing); the evicted keys,
    /// least recent first, are appended to `evicted` (expected empty) and the events
    /// emitted. False with nothing changed when room cannot be made.
    private func makeRoom(_ count: Int, evicted: inout [BlockKey]) -> Bool {
        core.clearMoves()
        let freeRows = directory.freeRowCount
        guard core.makeRoom(count) else { return false }
        if count <= freeRows { return true }
        evicted.append(contentsOf: core.moves.evicted)
        emitDiskMoves()
        emit(evicted, .cpu, removed: true)
        return true
    }
}

extension PrimaryTierManager where DataPath == SimulatedDataPath {
    /// A manager that moves no bytes (bookkeeping only).
    public convenience init(
        primaryBlocks: Int, diskBlocks: Int = 0, policy: TieringPolicy = .spill, blockSize: Int,
        eventsEnabled: Bool = true
    ) {
        self.init(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy,
            blockSize: blockSize, eventsEnabled: eventsEnabled, dataPath: SimulatedDataPath())
    }
}
