// A plain reference model of the replay semantics (the same algorithm as scripts/lru_reference.py),
// including TieringEngine's documented handling of failed disk reads.
import SpillwayCore

/// The replay semantics written the obvious way: arrays for recency (least recent first), sets for
/// membership. `failRead(readNumber)` fails the n-th promotion read, as `RecordingDataPath`
/// does, so engine and model see the same faults.
public final class ReferenceTieringModel {
    public private(set) var primary: [UInt64] = []
    public private(set) var disk: [UInt64] = []
    public private(set) var counters = TieringCounters()
    let primaryBlocks: Int
    let diskBlocks: Int
    let policy: TieringPolicy
    let failRead: (Int) -> Bool
    var readNumber = 0

    public init(primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy, failRead: @escaping (Int) -> Bool = { _ in false }) {
        self.primaryBlocks = primaryBlocks
        self.diskBlocks = diskBlocks
        self.policy = policy
        self.failRead = failRead
    }

    private func writeToDisk(_ key: UInt64, _ protected: Set<UInt64>) {
        if let index = disk.firstIndex(of: key) {
            disk.remove(at: index)
            disk.append(key)
            return
        }
        if diskBlocks == 0 { return }
        if disk.count >= diskBlocks {
            guard let index = disk.firstIndex(where: { !protected.contains($0) }) else { return }
            disk.remove(at: index)
            counters.diskEvictions += 1
        }
        disk.append(key)
        counters.diskWrites += 1
    }

    private func makeRoom(_ n: Int, _ protected: Set<UInt64>) -> Bool {
        let need = n - (primaryBlocks - primary.count)
        if need <= 0 { return true }
        let victims = Array(primary.filter { !protected.contains($0) }.prefix(need))
        if victims.count < need { return false }
        for victim in victims {
            primary.removeAll { $0 == victim }
            counters.primaryEvictions += 1
            if policy == .spill && !disk.contains(victim) { writeToDisk(victim, protected) }
        }
        return true
    }

    public func process(_ keys: [UInt64]) {
        counters.requests += 1
        counters.blocks += keys.count
        let protected = Set(keys)
        var prefix = 0
        while prefix < keys.count && (primary.contains(keys[prefix]) || disk.contains(keys[prefix])) { prefix += 1 }
        let wasInPrimary = keys.map { primary.contains($0) }
        var toPromote: [UInt64] = []
        for key in keys[..<prefix] where !primary.contains(key) && !toPromote.contains(key) { toPromote.append(key) }
        if !toPromote.isEmpty {
            if makeRoom(toPromote.count, protected) {
                for key in toPromote {
                    defer { readNumber += 1 }
                    if failRead(readNumber) {
                        counters.diskReadFailures += 1
                        disk.removeAll { $0 == key }
                        prefix = keys.firstIndex(of: key)!
                        break
                    }
                    primary.append(key)
                    counters.diskReads += 1
                }
            } else {
                counters.promoteFailed += 1
                prefix = wasInPrimary.firstIndex(of: false)!
            }
        }
        for index in 0..<prefix {
            if wasInPrimary[index] { counters.hitPrimary += 1 } else { counters.hitDisk += 1 }
        }
        counters.miss += keys.count - prefix
        for key in keys[..<prefix].reversed() {
            if let index = primary.firstIndex(of: key) { primary.remove(at: index); primary.append(key) }
            if let index = disk.firstIndex(of: key) { disk.remove(at: index); disk.append(key) }
        }
        var toStore: [UInt64] = []
        for key in keys[prefix...] where !primary.contains(key) && !toStore.contains(key) { toStore.append(key) }
        guard !toStore.isEmpty else { return }
        guard makeRoom(toStore.count, protected) else {
            counters.storeSkipped += toStore.count
            return
        }
        for key in toStore {
            primary.append(key)
            counters.stored += 1
            if policy == .writeThrough { writeToDisk(key, protected) }
        }
    }
}
