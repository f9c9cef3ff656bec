// The replay semantics (the same algorithm as scripts/lru_reference.py), including
// TieringEngine's documented handling of failed disk reads: an adapter over the one plain
// reference model of the core, ReferenceTieringCore.
import SpillwayCore

/// The replay's request rules written the obvious way over `ReferenceTieringCore` (which
/// makes room, writes to disk and promotes). `failRead(readNumber)` fails the n-th promotion
/// read, as `RecordingDataPath` does, so engine and model see the same faults.
package final class ReferenceTieringModel {
    package let core: ReferenceTieringCore
    /// Primary and disk blocks as trace ids, least recent first.
    package var primary: [UInt64] { core.primary.map { $0.traceID! } }
    package var disk: [UInt64] { core.disk.map { $0.traceID! } }
    package var counters: TieringCounters { core.counters }
    let failRead: (Int) -> Bool
    var readNumber = 0

    package init(primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy, failRead: @escaping (Int) -> Bool = { _ in false }) {
        core = ReferenceTieringCore(primaryCapacity: primaryBlocks, diskCapacity: diskBlocks, policy: policy)
        self.failRead = failRead
    }

    package func process(_ ids: [UInt64]) {
        let keys = ids.map { BlockKey(traceID: $0) }
        core.counters.requests += 1
        core.counters.blocks += keys.count
        let protected = Set(keys)
        var prefix = 0
        while prefix < keys.count && (core.inPrimary(keys[prefix]) || core.onDisk(keys[prefix])) { prefix += 1 }
        let wasInPrimary = keys.map { core.inPrimary($0) }
        var toPromote: [BlockKey] = []
        for key in keys[..<prefix] where !core.inPrimary(key) && !toPromote.contains(key) { toPromote.append(key) }
        if !toPromote.isEmpty {
            if core.makeRoom(toPromote.count, protected: protected) {
                for key in toPromote {
                    defer { readNumber += 1 }
                    core.beginPromotion(key)
                    let failed = failRead(readNumber)
                    core.finishPromotion(key, success: !failed)
                    if failed {
                        prefix = keys.firstIndex(of: key)!
                        break
                    }
                }
            } else {
                core.counters.promoteFailed += 1
                prefix = wasInPrimary.firstIndex(of: false)!
            }
        }
        for index in 0..<prefix {
            if wasInPrimary[index] { core.counters.hitPrimary += 1 } else { core.counters.hitDisk += 1 }
        }
        core.counters.miss += keys.count - prefix
        for key in keys[..<prefix].reversed() { core.touch(key) }
        var toStore: [BlockKey] = []
        for key in keys[prefix...] where !core.inPrimary(key) && !toStore.contains(key) { toStore.append(key) }
        guard !toStore.isEmpty else { return }
        guard core.makeRoom(toStore.count, protected: protected) else {
            core.counters.storeSkipped += toStore.count
            return
        }
        for key in toStore {
            core.insertPrimary(key, refCount: 0)
            core.counters.stored += 1
            if core.policy == .writeThrough { core.writeToDisk(key, protected: protected) }
        }
    }
}
