// A plain reference model of vLLM's CPUOffloadingManager (LRU) plus Spillway's disk tier,
// written the obvious way as an adapter over ReferenceTieringCore, to check
// PrimaryTierManager step by step.
import SpillwayCore

/// A line-by-line Swift transcription of vLLM's `CPUOffloadingManager` with the LRU policy
/// (vllm/v1/kv_offload/cpu_manager.py), with the disk tier's additions of `PrimaryTierManager`
/// (disk-only keys count as pending, spill / write-through, promotion) done by the one
/// reference core. With a disk capacity of 0 it is vLLM's manager exactly. O(n) everywhere.
package final class ReferenceOffloadingManager {
    package typealias Block = ReferenceTieringCore.Block

    package let core: ReferenceTieringCore
    /// Primary blocks, least recent first.
    package var order: [BlockKey] { core.primary }
    package var blocks: [BlockKey: Block] { core.blocks }
    let blockSize: Int
    var events: [OffloadingEvent] = []

    package init(capacity: Int, diskCapacity: Int = 0, policy: TieringPolicy = .spill, blockSize: Int) {
        core = ReferenceTieringCore(primaryCapacity: capacity, diskCapacity: diskCapacity, policy: policy)
        self.blockSize = blockSize
    }

    private func emit(_ keys: [BlockKey], _ medium: OffloadingMedium, removed: Bool) {
        guard !keys.isEmpty else { return }
        events.append(OffloadingEvent(keys: keys, blockSize: blockSize, medium: medium, removed: removed))
    }

    private func isPromoting(_ key: BlockKey) -> Bool {
        (core.blocks[key]?.refCount ?? 0) < 0 && core.diskPins[key, default: 0] > 0
    }

    /// Leading stored blocks (readable in primary, or disk-only: pending); retry while one
    /// of them is being promoted.
    package func lookup(_ keys: [BlockKey]) -> ManagerLookup {
        var count = 0
        var pending = 0
        for key in keys {
            if let block = core.blocks[key] {
                if block.refCount < 0 { return isPromoting(key) ? .retry : .hit(count: count, pending: pending) }
            } else if core.onDisk(key) {
                pending += 1
            } else {
                break
            }
            count += 1
        }
        return .hit(count: count, pending: pending)
    }

    package func prepareLoad(_ keys: [BlockKey]) -> [Int32] {
        keys.map { key in
            core.setRefCount(key, core.blocks[key]!.refCount + 1)
            return core.blocks[key]!.row
        }
    }

    package func completeLoad(_ keys: [BlockKey]) {
        for key in keys { core.setRefCount(key, core.blocks[key]!.refCount - 1) }
    }

    package func touch(_ keys: [BlockKey]) {
        for key in keys.reversed() { core.touch(key) }
    }

    /// Make room through the core, with the manager's events (disk moves, then the primary
    /// victims).
    private func makeRoom(_ n: Int, protected: Set<BlockKey>) -> [BlockKey]? {
        core.moves = TieringMoves()
        let need = n - core.freeRows
        guard core.makeRoom(n, protected: protected) else { return nil }
        if need > 0 {
            emitDiskMoves()
            emit(core.moves.evicted, .cpu, removed: true)
        }
        return core.moves.evicted
    }

    private func emitDiskMoves() {
        emit(core.moves.diskRemoved, .storage, removed: true)
        emit(core.moves.diskStored, .storage, removed: false)
    }

    package func prepareStore(_ keys: [BlockKey]) -> PrepareStoreResult? {
        var toStore: [BlockKey] = []
        for key in keys where !core.inPrimary(key) && !toStore.contains(key) { toStore.append(key) }
        if toStore.isEmpty { return PrepareStoreResult(keysToStore: [], rows: [], evicted: []) }
        guard let evicted = makeRoom(toStore.count, protected: Set(keys)) else { return nil }
        let rows = toStore.map { core.insertPrimary($0, refCount: -1) }
        return PrepareStoreResult(keysToStore: toStore, rows: rows, evicted: evicted)
    }

    package func completeStore(_ keys: [BlockKey], success: Bool) {
        var stored: [BlockKey] = []
        for key in keys {
            guard let block = core.blocks[key], block.refCount < 0, !isPromoting(key) else { continue }
            if success {
                core.setRefCount(key, 0)
                stored.append(key)
            } else {
                core.removePrimary(key)
            }
        }
        emit(stored, .cpu, removed: false)
        if success && core.policy == .writeThrough && core.diskCapacity > 0 {
            core.moves = TieringMoves()
            for key in stored { core.writeToDisk(key, protected: Set(keys)) }
            emitDiskMoves()
        }
    }

    /// Rows for the disk-only keys (ref -1, disk copy pinned); nil when room cannot be made.
    package func preparePromotion(_ keys: [BlockKey]) -> PreparePromotionResult? {
        var toPromote: [BlockKey] = []
        for key in keys where core.onDisk(key) && !core.inPrimary(key) && !toPromote.contains(key) {
            toPromote.append(key)
        }
        if toPromote.isEmpty { return PreparePromotionResult(keys: [], rows: [], records: [], evicted: []) }
        guard let evicted = makeRoom(toPromote.count, protected: Set(keys)) else { return nil }
        let rows = toPromote.map { core.beginPromotion($0) }
        return PreparePromotionResult(keys: toPromote, rows: rows, records: [], evicted: evicted)
    }

    package func completePromotion(_ keys: [BlockKey], success: Bool) {
        var done: [BlockKey] = []
        for key in keys where isPromoting(key) {
            core.finishPromotion(key, success: success)
            done.append(key)
        }
        emit(done, success ? .cpu : .storage, removed: !success)
    }

    package func takeEvents() -> [OffloadingEvent] {
        defer { events = [] }
        return events
    }
}
