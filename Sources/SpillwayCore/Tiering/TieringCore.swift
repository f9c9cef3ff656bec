// The one tiering core: making room in primary, writing blocks to disk (spill and
// write-through, disk LRU eviction) and promotion, over a BlockDirectory, moving bytes through
// a TierDataPath. The replay engine, the vLLM-style manager and TieredStore drive this.

/// Owns every block movement between the tiers (docs/SEMANTICS.md, "Make room" and "Write a
/// block to disk"), so the replay (`TieringEngine`), the vLLM manager API
/// (`PrimaryTierManager`) and the engine-facing `TieredStore` (over the manager) run the same
/// code. The callers decide *which* blocks to store, promote, touch or protect; the core does
/// the moves and counts them:
///
/// - `makeRoom(n)`: free rows first, the rest from the least-recent primary blocks that are
///   not protected and have ref count 0, all or nothing; each victim counts
///   `primaryEvictions` and, under spill and when not already on disk, is written to disk.
/// - `writeToDisk(slot, row:)`: if on disk, mark it most recent; else if the disk is full evict
///   the least-recent disk block that is not protected and not pinned (`diskEvictions`), or
///   drop the block when there is none (or the disk capacity is 0); else copy it
///   (`diskWrites`, or `diskWriteFailures` and no disk copy when the data path fails).
/// - promotion: `beginPromotion` (a row with ref -1, the disk copy pinned), then
///   `finishPromotion(success:)` (readable, `diskReads`; or dropped from both tiers,
///   `diskReadFailures`, so bad bytes are never served) or `abandonPromotion` (the row goes
///   back, the block stays disk-only).
///
/// With `logsMoves`, the keys each operation moved are appended to `moves` (primary
/// victims, disk copies written and evicted) for the manager's events; the replay leaves it
/// off and pays nothing. No allocation per block: scratch grows only when a batch is larger
/// than any before, and the logs keep their capacity when cleared.
///
/// Not thread-safe; one core per directory.
package final class TieringCore<DataPath: TierDataPath> {
    /// Where every block is.
    package let directory: BlockDirectory
    package let policy: TieringPolicy
    /// Where bytes move; `SimulatedDataPath` for the pure simulation.
    package let dataPath: DataPath
    /// Whether `moves` records the keys moved.
    package let logsMoves: Bool

    /// Movement counters (primaryEvictions, diskWrites, diskEvictions, diskReads,
    /// diskReadFailures, diskWriteFailures); the replay adds its request counters here too.
    package var counters: TieringCounters { counterStorage.pointee }
    /// Keys moved since the last `clearMoves()` (empty unless `logsMoves`).
    package var moves: TieringMoves { scratch.pointee.moves }

    /// Behind `let` pointers: a class `var` costs a dynamic exclusivity check per update.
    let counterStorage: UnsafeMutablePointer<TieringCounters>
    private let scratch: UnsafeMutablePointer<Scratch>

    private struct Scratch {
        var victims: UnsafeMutablePointer<BlockDirectory.Slot>
        var victimCapacity: Int
        var moves = TieringMoves()
    }

    /// A core over a fresh directory of `primaryBlocks` rows and `diskBlocks` records.
    package init(
        primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy, dataPath: DataPath,
        logsMoves: Bool = false
    ) {
        directory = BlockDirectory(primaryCapacity: primaryBlocks, diskCapacity: diskBlocks)
        self.policy = policy
        self.dataPath = dataPath
        self.logsMoves = logsMoves
        counterStorage = .allocate(capacity: 1)
        counterStorage.initialize(to: TieringCounters())
        scratch = .allocate(capacity: 1)
        scratch.initialize(to: Scratch(victims: .allocate(capacity: 256), victimCapacity: 256))
    }

    deinit {
        counterStorage.deallocate()
        scratch.pointee.victims.deallocate()
        scratch.deinitialize(count: 1)
        scratch.deallocate()
    }

    /// Empties `moves`, keeping its capacity.
    func clearMoves() {
        scratch.pointee.moves.evicted.removeAll(keepingCapacity: true)
        scratch.pointee.moves.diskStored.removeAll(keepingCapacity: true)
        scratch.pointee.moves.diskRemoved.removeAll(keepingCapacity: true)
    }

    // MARK: Make room

    /// Makes `count` primary rows free (see the type's documentation), all or nothing.
    /// Returns false, changing nothing, when not enough blocks can be evicted.
    @inline(__always)
    func makeRoom(_ count: Int) -> Bool {
        let dir = directory
        let need = count - dir.freeRowCount
        if need <= 0 { return true }
        if need > scratch.pointee.victimCapacity {
            var size = scratch.pointee.victimCapacity
            while size < need { size *= 2 }
            scratch.pointee.victims.deallocate()
            scratch.pointee.victims = .allocate(capacity: size)
            scratch.pointee.victimCapacity = size
        }
        let victims = scratch.pointee.victims
        var found = 0
        var slot = dir.primaryHead
        while slot >= 0 && found < need {
            if !dir.isProtected(slot) && dir.refCount(slot) == 0 {
                victims[found] = slot
                found += 1
            }
            slot = dir.primaryMoreRecent(slot)
        }
        guard found == need else { return false }
        // The next victims' nodes are cold (least recent): start loading them now.
        dir.prefetchNode(slot)
        for index in 0..<need {
            let victim = victims[index]
            counterStorage.pointee.primaryEvictions += 1
            if policy == .spill && dir.diskRecord(victim) < 0 {
                writeToDisk(victim, row: dir.row(victim))
            }
            if logsMoves { scratch.pointee.moves.evicted.append(dir.key(victim)) }
            releaseRow(victim)
        }
        return true
    }

    /// Takes the block out of primary (its row is freed and `rowFreed` called) and forgets
    /// it when it is not on disk either.
    ///
    /// Here and below a key is read from the directory where it is passed on, never ahead:
    /// a data path that ignores it (the simulation) then never loads it, which saves a
    /// cache miss per eviction (the key stays in its slot until `remove`).
    @inline(__always)
    func releaseRow(_ slot: BlockDirectory.Slot) {
        let dir = directory
        let row = dir.detachPrimary(slot)
        dataPath.rowFreed(dir.key(slot), row: row)
        if dir.diskRecord(slot) < 0 { dir.remove(slot) }
    }

    // MARK: Disk

    /// Writes the block in `slot` (held in primary `row`) to disk (see the type's
    /// documentation).
    @inline(__always)
    func writeToDisk(_ slot: BlockDirectory.Slot, row: Int32) {
        let dir = directory
        if dir.diskRecord(slot) >= 0 {
            dir.touchDisk(slot)
            return
        }
        if dir.diskCapacity == 0 { return }
        if dir.freeDiskRecordCount == 0 {
            var victim = dir.diskHead
            while victim >= 0 && (dir.isProtected(victim) || dir.diskPinCount(victim) > 0) {
                victim = dir.diskMoreRecent(victim)
            }
            if victim < 0 { return }  // nothing evictable: the block is dropped
            let record = dir.detachDisk(victim)
            // The next disk victim's node is cold (least recent): start loading it now.
            dir.prefetchNode(dir.diskHead)
            dataPath.removeFromDisk(dir.key(victim), record: record)
            counterStorage.pointee.diskEvictions += 1
            if logsMoves { scratch.pointee.moves.diskRemoved.append(dir.key(victim)) }
            if dir.row(victim) < 0 { dir.remove(victim) }
        }
        let record = dir.attachDisk(slot)
        if dataPath.copyToDisk(dir.key(slot), row: row, record: record) == .completed {
            counterStorage.pointee.diskWrites += 1
            if logsMoves { scratch.pointee.moves.diskStored.append(dir.key(slot)) }
        } else {
            dir.detachDisk(slot)
            counterStorage.pointee.diskWriteFailures += 1
        }
    }

    // MARK: Promotion

    /// Gives the disk-only block in `slot` a row to be read into (ref -1, disk copy pinned;
    /// room must have been made). Returns the row.
    @inline(__always)
    func beginPromotion(_ slot: BlockDirectory.Slot) -> Int32 {
        let dir = directory
        let row = dir.attachPrimary(slot, refCount: -1)
        dir.setDiskPinCount(slot, dir.diskPinCount(slot) + 1)
        return row
    }

    /// Whether the block in `slot` is being promoted (ref -1 with its disk copy pinned).
    @inline(__always)
    func isPromoting(_ slot: BlockDirectory.Slot) -> Bool {
        directory.refCount(slot) < 0 && directory.diskPinCount(slot) > 0
    }

    /// Settles a promotion begun by `beginPromotion`: on success the block is readable in
    /// primary (`diskReads`); on failure it is dropped from both tiers (`rowFreed`,
    /// `removeFromDisk`, `diskReadFailures`) and its slot is gone.
    @inline(__always)
    func finishPromotion(_ slot: BlockDirectory.Slot, success: Bool) {
        let dir = directory
        dir.setDiskPinCount(slot, dir.diskPinCount(slot) - 1)
        if success {
            dir.setRefCount(slot, 0)
            counterStorage.pointee.diskReads += 1
            return
        }
        counterStorage.pointee.diskReadFailures += 1
        let row = dir.detachPrimary(slot)
        dataPath.rowFreed(dir.key(slot), row: row)
        let record = dir.detachDisk(slot)
        dataPath.removeFromDisk(dir.key(slot), record: record)
        dir.remove(slot)
    }

    /// Reads the block being promoted in `slot` through the data path (`loadFromDisk`) and
    /// settles it (`finishPromotion`). Returns whether the read succeeded.
    @inline(__always)
    func readPromotion(_ slot: BlockDirectory.Slot) -> Bool {
        let dir = directory
        let outcome = dataPath.loadFromDisk(dir.key(slot), record: dir.diskRecord(slot), row: dir.row(slot))
        finishPromotion(slot, success: outcome == .completed)
        return outcome == .completed
    }

    /// Undoes `beginPromotion` without reading: the row goes back (`rowFreed`, which must
    /// discard a prefetched load) and the block stays disk-only.
    @inline(__always)
    func abandonPromotion(_ slot: BlockDirectory.Slot) {
        let dir = directory
        dir.setDiskPinCount(slot, dir.diskPinCount(slot) - 1)
        releaseRow(slot)
    }

    // MARK: Recency

    /// Makes the block the most recent in both tiers (each where it is resident).
    @inline(__always)
    func touch(_ slot: BlockDirectory.Slot) {
        directory.touchPrimary(slot)
        directory.touchDisk(slot)
    }
}
