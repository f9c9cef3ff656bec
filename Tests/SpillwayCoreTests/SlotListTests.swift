// SlotList against a plain array: seeded appends, removals and moves to the tail (the
// written-out moveToTail included), and the trap on moving a slot that is in no list.
@testable import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct SlotListTests {
    /// Setup: a list over 16 slots and an array of the listed slots (least recent first);
    /// 20,000 seeded operations: append an unlisted slot, remove a listed one, or move a
    /// listed one (head, middle or tail alike) to the tail. Checks after each: the walk
    /// (`checkedOrder`: back links, tail, count) equals the array.
    @Test func operationsMatchAnArray() {
        let seed = SplitMix64.seed(fallback: 0x5107_1157)
        var rng = SplitMix64(seed: seed)
        var list = SlotList(slotCapacity: 16)
        defer { list.deallocate() }
        var model: [Int32] = []
        for step in 0..<20_000 {
            let unlisted = (0..<Int32(16)).filter { !model.contains($0) }
            switch rng.below(3) {
            case 0 where !unlisted.isEmpty:
                let slot = unlisted[rng.below(unlisted.count)]
                list.append(slot)
                model.append(slot)
            case 1 where !model.isEmpty:
                let slot = model.remove(at: rng.below(model.count))
                list.remove(slot)
            default:
                guard !model.isEmpty else { continue }
                let slot = model.remove(at: rng.below(model.count))
                model.append(slot)
                list.moveToTail(slot)
            }
            let order = list.checkedOrder("test")
            if order != model {
                Issue.record("seed \(seed) step \(step): list \(order), model \(model)")
                return
            }
        }
    }

    /// Setup: slot 1 listed, slot 3 in no list. Checks: `moveToTail(3)` traps with its
    /// message (without the check it would write through link -1, outside the links).
    @Test func movingAnUnlistedSlotTraps() async {
        await #expect(processExitsWith: .failure) {
            var list = SlotList(slotCapacity: 4)
            list.append(1)
            list.moveToTail(3)
        }
    }
}
