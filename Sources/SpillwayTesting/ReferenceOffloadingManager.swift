// A plain reference model of vLLM's CPUOffloadingManager (LRU), written the obvious way
// (an ordered array + dictionary), to check PrimaryTierManager step by step.
import SpillwayCore

/// A line-by-line Swift transcription of vLLM's `CPUOffloadingManager` with the LRU policy
/// (vllm/v1/kv_offload/cpu_manager.py), primary tier only. O(n) everywhere, on purpose.
public final class ReferenceOffloadingManager {
    public struct Block: Equatable {
        public var refCount: Int32
        public var row: Int32
        public init(refCount: Int32, row: Int32) {
            self.refCount = refCount
            self.row = row
        }
    }

    /// Least recent first.
    public private(set) var order: [BlockKey] = []
    public private(set) var blocks: [BlockKey: Block] = [:]
    let capacity: Int
    var allocatedCount = 0
    var freeList: [Int32] = []
    let blockSize: Int
    var events: [OffloadingEvent] = []

    public init(capacity: Int, blockSize: Int) {
        self.capacity = capacity
        self.blockSize = blockSize
    }

    /// Leading ready blocks.
    public func lookup(_ keys: [BlockKey]) -> Int {
        var count = 0
        for key in keys {
            guard let block = blocks[key], block.refCount >= 0 else { break }
            count += 1
        }
        return count
    }

    public func prepareLoad(_ keys: [BlockKey]) -> [Int32] {
        keys.map { key in
            blocks[key]!.refCount += 1
            return blocks[key]!.row
        }
    }

    public func completeLoad(_ keys: [BlockKey]) {
        for key in keys { blocks[key]!.refCount -= 1 }
    }

    public func touch(_ keys: [BlockKey]) {
        for key in keys.reversed() where blocks[key] != nil {
            order.removeAll { $0 == key }
            order.append(key)
        }
    }

    public func prepareStore(_ keys: [BlockKey]) -> PrepareStoreResult? {
        var toStore: [BlockKey] = []
        for key in keys where blocks[key] == nil && !toStore.contains(key) { toStore.append(key) }
        if toStore.isEmpty { return PrepareStoreResult(keysToStore: [], rows: [], evicted: []) }
        let free = freeList.count + capacity - allocatedCount
        let need = toStore.count - free
        var evicted: [BlockKey] = []
        if need > 0 {
            let protected = Set(keys)
            for key in order where blocks[key]!.refCount == 0 && !protected.contains(key) {
                evicted.append(key)
                if evicted.count == need { break }
            }
            if evicted.count < need { return nil }
            for key in evicted {
                freeList.append(blocks[key]!.row)
                blocks[key] = nil
                order.removeAll { $0 == key }
            }
            events.append(OffloadingEvent(keys: evicted, blockSize: blockSize, medium: .cpu, removed: true))
        }
        var rows: [Int32] = []
        let fresh = min(toStore.count, capacity - allocatedCount)
        for _ in 0..<fresh {
            rows.append(Int32(allocatedCount))
            allocatedCount += 1
        }
        for _ in fresh..<toStore.count { rows.append(freeList.removeLast()) }
        for (key, row) in zip(toStore, rows) {
            blocks[key] = Block(refCount: -1, row: row)
            order.append(key)
        }
        return PrepareStoreResult(keysToStore: toStore, rows: rows, evicted: evicted)
    }

    public func completeStore(_ keys: [BlockKey], success: Bool) {
        var stored: [BlockKey] = []
        for key in keys {
            guard let block = blocks[key], block.refCount < 0 else { continue }
            if success {
                blocks[key]!.refCount = 0
                stored.append(key)
            } else {
                freeList.append(block.row)
                blocks[key] = nil
                order.removeAll { $0 == key }
            }
        }
        if !stored.isEmpty {
            events.append(OffloadingEvent(keys: stored, blockSize: blockSize, medium: .cpu, removed: false))
        }
    }

    public func takeEvents() -> [OffloadingEvent] {
        defer { events = [] }
        return events
    }
}
