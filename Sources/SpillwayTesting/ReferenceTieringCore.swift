// The one plain reference model of the tiering core (make room, write to disk, promotion),
// written the obvious way; the replay model and the manager model are adapters over it.
import SpillwayCore

/// `TieringCore`'s rules (docs/SEMANTICS.md) with arrays for recency (least recent first) and
/// dictionaries for state, O(n) everywhere on purpose. Rows are handed out as vLLM does
/// (fresh ids counting up, then the free list popped from its end). Each operation logs the
/// keys it moved in `moves`, as the core does, for the manager's events.
package final class ReferenceTieringCore {
    package struct Block: Equatable, Sendable {
        package var refCount: Int32
        package var row: Int32
        package init(refCount: Int32, row: Int32) {
            self.refCount = refCount
            self.row = row
        }
    }

    /// Primary blocks, least recent first, and their ref counts and rows.
    package private(set) var primary: [BlockKey] = []
    package private(set) var blocks: [BlockKey: Block] = [:]
    /// Disk blocks, least recent first, and reads of their disk copies in flight.
    package private(set) var disk: [BlockKey] = []
    package private(set) var diskPins: [BlockKey: Int] = [:]
    package var counters = TieringCounters()
    package var moves = TieringMoves()
    package let primaryCapacity: Int
    package let diskCapacity: Int
    package let policy: TieringPolicy
    var allocatedCount = 0
    var freeList: [Int32] = []

    package init(primaryCapacity: Int, diskCapacity: Int, policy: TieringPolicy) {
        self.primaryCapacity = primaryCapacity
        self.diskCapacity = diskCapacity
        self.policy = policy
    }

    package func inPrimary(_ key: BlockKey) -> Bool { blocks[key] != nil }
    package func onDisk(_ key: BlockKey) -> Bool { disk.contains(key) }
    package var freeRows: Int { freeList.count + primaryCapacity - allocatedCount }

    /// Gives `key` a row, appended most recent, with `refCount`.
    @discardableResult
    package func insertPrimary(_ key: BlockKey, refCount: Int32) -> Int32 {
        let row: Int32
        if allocatedCount < primaryCapacity {
            row = Int32(allocatedCount)
            allocatedCount += 1
        } else {
            row = freeList.removeLast()
        }
        blocks[key] = Block(refCount: refCount, row: row)
        primary.append(key)
        return row
    }

    /// Takes `key` out of primary; its row is reused first.
    package func removePrimary(_ key: BlockKey) {
        freeList.append(blocks[key]!.row)
        blocks[key] = nil
        primary.removeAll { $0 == key }
    }

    package func setRefCount(_ key: BlockKey, _ value: Int32) { blocks[key]!.refCount = value }

    /// Make room for `n` rows: the least recent unprotected blocks with ref count 0, all or
    /// nothing; under spill each victim not on disk is written to disk first.
    package func makeRoom(_ n: Int, protected: Set<BlockKey>) -> Bool {
        let need = n - freeRows
        if need <= 0 { return true }
        let victims = Array(primary.filter { blocks[$0]!.refCount == 0 && !protected.contains($0) }.prefix(need))
        if victims.count < need { return false }
        for victim in victims {
            counters.primaryEvictions += 1
            if policy == .spill && !onDisk(victim) { writeToDisk(victim, protected: protected) }
            moves.evicted.append(victim)
            removePrimary(victim)
        }
        return true
    }

    /// Write to disk: most recent if there; else evict the least recent unprotected,
    /// unpinned disk block when full (or drop the block when none / no disk); else append.
    package func writeToDisk(_ key: BlockKey, protected: Set<BlockKey>) {
        if let index = disk.firstIndex(of: key) {
            disk.remove(at: index)
            disk.append(key)
            return
        }
        if diskCapacity == 0 { return }
        if disk.count >= diskCapacity {
            guard let index = disk.firstIndex(where: { !protected.contains($0) && diskPins[$0, default: 0] == 0 })
            else { return }
            moves.diskRemoved.append(disk.remove(at: index))
            counters.diskEvictions += 1
        }
        disk.append(key)
        moves.diskStored.append(key)
        counters.diskWrites += 1
    }

    /// A row for the disk-only `key` (ref -1, its disk copy pinned).
    @discardableResult
    package func beginPromotion(_ key: BlockKey) -> Int32 {
        diskPins[key, default: 0] += 1
        return insertPrimary(key, refCount: -1)
    }

    /// Readable on success (`diskReads`); dropped from both tiers on failure.
    package func finishPromotion(_ key: BlockKey, success: Bool) {
        diskPins[key, default: 0] -= 1
        if success {
            blocks[key]!.refCount = 0
            counters.diskReads += 1
        } else {
            counters.diskReadFailures += 1
            removePrimary(key)
            disk.removeAll { $0 == key }
        }
    }

    /// Most recent in each tier holding it.
    package func touch(_ key: BlockKey) {
        if let index = primary.firstIndex(of: key) { primary.remove(at: index); primary.append(key) }
        if let index = disk.firstIndex(of: key) { disk.remove(at: index); disk.append(key) }
    }
}
