import Testing

// The disk tier's key table (linear probing with backward-shift deletion) and page
// allocator against plain reference models.
@testable import SpillwayCore

@Suite("DiskEntryTable and DiskPageAllocator")
struct DiskEntryTableTests {
    @Test("random inserts and removals agree with a Dictionary", arguments: [1 as UInt64, 2, 3])
    func keyTableModel(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = DiskEntryTable(reserved: 4, slotCountMax: 1 << 20)
        var model: [BlockKey: Int32] = [:]
        for step in 0..<20_000 {
            // Small key space plus long keys, so probes collide and wrap.
            let id = UInt64(rng.below(3000))
            let key =
                id % 3 == 0
                ? BlockKey(bytes: Array(repeating: UInt8(id & 0xFF), count: 40) + [UInt8(id >> 8)])!
                : BlockKey(traceID: id)
            if let slot = model[key] {
                #expect(table.lookup(key) == slot, "seed \(seed) step \(step)")
                if rng.chance(0.6) {
                    table.removeKey(key)
                    table.releaseSlot(slot)
                    model[key] = nil
                }
            } else {
                #expect(table.lookup(key) == nil, "seed \(seed) step \(step)")
                let slot = table.allocateSlot()
                table.entries[Int(slot)].key = key
                table.entries[Int(slot)].state = .live
                table.insertKey(slot)
                model[key] = slot
            }
            #expect(table.keyCount == model.count)
        }
        for (key, slot) in model { #expect(table.lookup(key) == slot, "seed \(seed)") }
    }

    @Test("allocator runs never overlap and free pages are found again")
    func allocatorModel() {
        var rng = SplitMix64(seed: 9)
        var allocator = DiskPageAllocator(pageCount: 1000)
        var extents: [(Int, Int)] = []
        var owner = [Int](repeating: -1, count: 1000)
        for step in 0..<5000 {
            if rng.chance(0.55), let count = Optional(1 + rng.below(20)),
                let start = allocator.findRun(count: count)
            {
                allocator.markUsed(start: start, count: count)
                for page in start..<start + count {
                    #expect(owner[page] == -1, "step \(step): page \(page) handed out twice")
                    owner[page] = step
                }
                extents.append((start, count))
            } else if !extents.isEmpty {
                let (start, count) = extents.remove(at: rng.below(extents.count))
                allocator.markFree(start: start, count: count)
                for page in start..<start + count { owner[page] = -1 }
                let run = allocator.freeRun(around: start, wanted: count)
                #expect(run.count >= count && run.start <= start)
            }
            #expect(allocator.usedPageCount == owner.filter { $0 >= 0 }.count)
        }
        #expect(allocator.countUsedPages() == allocator.usedPageCount)
    }
}
