// The block directory on its own: allocator order, table against a Dictionary under random
// inserts and removals, list operations, memory per block.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct BlockDirectoryTests {
    /// Setup: 4 rows attached, three detached. Checks: fresh ids 0..3 first, then the last
    /// freed first (vLLM's free-list pop), and fresh ids still come before freed ones.
    @Test func rowOrderIsFreshThenLastFreed() {
        let d = BlockDirectory(primaryCapacity: 4, diskCapacity: 0)
        let slots = (0..<3).map { d.insert(BlockKey(traceID: UInt64($0))) }
        #expect(slots.map { d.attachPrimary($0, refCount: 0) } == [0, 1, 2])
        d.detachPrimary(slots[0])
        d.remove(slots[0])
        let s3 = d.insert(BlockKey(traceID: 3))
        #expect(d.attachPrimary(s3, refCount: 0) == 3)  // fresh before reuse
        d.detachPrimary(slots[1])
        d.remove(slots[1])
        d.detachPrimary(slots[2])
        d.remove(slots[2])
        let more = (4..<7).map { d.insert(BlockKey(traceID: UInt64($0))) }
        #expect(more.map { d.attachPrimary($0, refCount: 0) } == [2, 1, 0])
        d.checkInvariants()
    }

    /// Setup: seeded random inserts, removals, touches and tier moves over 3000 keys with a
    /// directory of 1000 slots, against a Dictionary + arrays. Checks: find agrees for every
    /// key probed, recency orders agree, invariants hold (catches backward-shift deletion
    /// bugs, which only show with long probe clusters).
    @Test func randomOperationsMatchDictionary() {
        let seed = SplitMix64.seed(fallback: 0xD1EC_7041)
        var rng = SplitMix64(seed: seed)
        let d = BlockDirectory(primaryCapacity: 600, diskCapacity: 400)
        var present: [UInt64: BlockDirectory.Slot] = [:]
        var primary: [UInt64] = []
        var disk: [UInt64] = []
        for step in 0..<20_000 {
            let id = UInt64.random(in: 0..<3000, using: &rng)
            let key = BlockKey(traceID: id)
            #expect(d.find(key) == (present[id] ?? BlockDirectory.noSlot), "seed \(seed) step \(step)")
            if let slot = present[id] {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:  // remove entirely
                    if d.row(slot) >= 0 { d.detachPrimary(slot); primary.removeAll { $0 == id } }
                    if d.diskRecord(slot) >= 0 { d.detachDisk(slot); disk.removeAll { $0 == id } }
                    d.remove(slot)
                    present[id] = nil
                case 1:
                    d.touchPrimary(slot)
                    if primary.contains(id) { primary.removeAll { $0 == id }; primary.append(id) }
                case 2:
                    d.touchDisk(slot)
                    if disk.contains(id) { disk.removeAll { $0 == id }; disk.append(id) }
                default:  // move between tiers when there is room
                    if d.row(slot) < 0 && d.freeRowCount > 0 {
                        d.attachPrimary(slot, refCount: 0); primary.append(id)
                    } else if d.diskRecord(slot) < 0 && d.freeDiskRecordCount > 0 {
                        d.attachDisk(slot); disk.append(id)
                    }
                }
            } else if d.freeRowCount > 0 {
                let slot = d.insert(key)
                d.attachPrimary(slot, refCount: 0)
                present[id] = slot
                primary.append(id)
            } else if d.freeDiskRecordCount > 0 {
                let slot = d.insert(key)
                d.attachDisk(slot)
                present[id] = slot
                disk.append(id)
            }
            if step % 1000 == 0 {
                #expect(d.primaryOrder.map { d.key($0).traceID! } == primary, "seed \(seed) step \(step)")
                #expect(d.diskOrder.map { d.key($0).traceID! } == disk, "seed \(seed) step \(step)")
                d.checkInvariants()
            }
        }
        #expect(d.count == present.count)
        d.checkInvariants()
    }

    /// Setup: 64-byte keys that differ only in their last byte (the hash must mix every word).
    /// Checks: all found, none confused.
    @Test func longKeysDifferingInLastByte() {
        let d = BlockDirectory(primaryCapacity: 256, diskCapacity: 0)
        let keys = (0..<256).map { i in BlockKey(bytes: Array(repeating: 0xAB, count: 63) + [UInt8(i)])! }
        let slots = keys.map { key in
            let slot = d.insert(key)
            d.attachPrimary(slot, refCount: 0)
            return slot
        }
        #expect(keys.map(d.find) == slots)
        // Key 0xAB... with last byte 0xAB is in the set; a 63-byte prefix alone is not.
        #expect(d.find(BlockKey(bytes: Array(repeating: 0xAB, count: 63))!) == BlockDirectory.noSlot)
        d.checkInvariants()
    }

    /// Checks: memory per block beyond the key is <= 64 bytes at the bench sizes.
    @Test func memoryPerBlockWithinTarget() {
        for capacity in [1000, 4000 + 40_000, 1 << 20] {
            let d = BlockDirectory(primaryCapacity: capacity / 2, diskCapacity: capacity - capacity / 2)
            #expect(d.bytesPerBlockBeyondKey <= 64, "capacity \(capacity): \(d.bytesPerBlockBeyondKey)")
        }
    }
}
