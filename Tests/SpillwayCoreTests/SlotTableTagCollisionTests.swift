// Keys whose 32-bit hash tags collide: the directory and the replay's batched lookups
// (probe a candidate by tag, then compare keys) must still find exactly the right block.
@testable import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct SlotTableTagCollisionTests {
    /// Pairs of trace ids whose keys have the same tag (low 32 bits of `tableHash`), found
    /// by search over the first 300,000 ids (deterministic: the hash is fixed).
    static let collidingPairs: [(UInt64, UInt64)] = {
        var byTag: [UInt32: UInt64] = [:]
        var pairs: [(UInt64, UInt64)] = []
        for id in 0..<UInt64(300_000) {
            let tag = SlotTable.tag(BlockKey(traceID: id).tableHash)
            if let other = byTag[tag] { pairs.append((other, id)) } else { byTag[tag] = id }
        }
        return pairs
    }()

    /// Setup: each colliding pair inserted into one directory, one key after the other.
    /// Checks: the search found pairs; before the second key is inserted its tag
    /// `candidate` is the first key's slot while `find` says absent; after, `find` gives each
    /// key its own slot, also once the first is removed; invariants hold.
    @Test func findSeparatesKeysWithEqualTags() throws {
        let pairs = Self.collidingPairs
        try #require(pairs.count >= 3, "found \(pairs.count) tag collisions")
        let d = BlockDirectory(primaryCapacity: 2 * pairs.count, diskCapacity: 0)
        for (a, b) in pairs {
            let keyA = BlockKey(traceID: a)
            let keyB = BlockKey(traceID: b)
            let slotA = d.insert(keyA)
            d.attachPrimary(slotA, refCount: 0)
            #expect(d.candidate(hash: keyB.tableHash) == slotA, "ids \(a), \(b): not a tag collision")
            #expect(d.find(keyB) == BlockDirectory.noSlot, "ids \(a), \(b)")
            let slotB = d.insert(keyB)
            d.attachPrimary(slotB, refCount: 0)
            #expect(d.find(keyA) == slotA && d.find(keyB) == slotB, "ids \(a), \(b)")
            d.detachPrimary(slotA)
            d.remove(slotA)
            #expect(d.find(keyA) == BlockDirectory.noSlot && d.find(keyB) == slotB, "ids \(a), \(b)")
            d.checkInvariants()
        }
    }

    /// Setup: seeded random requests over only the ids of colliding pairs (so nearly every
    /// lookup meets a key with its tag), tiny capacities, both policies, through the engine
    /// and `ReferenceTieringModel`. Checks: equal counters and recency orders after every
    /// request, invariants hold.
    @Test(arguments: [(3, 0, TieringPolicy.spill), (3, 5, .spill), (4, 4, .writeThrough)])
    func replayMatchesReferenceOnCollidingKeys(primary: Int, disk: Int, policy: TieringPolicy) {
        let ids = Self.collidingPairs.prefix(6).flatMap { [$0.0, $0.1] }
        let seed = SplitMix64.seed(fallback: 0x7A6_C011 + UInt64(primary * 10 + disk))
        var rng = SplitMix64(seed: seed)
        let engine = TieringEngine(
            primaryBlocks: primary, diskBlocks: disk, policy: policy, dataPath: SimulatedDataPath())
        let model = ReferenceTieringModel(primaryBlocks: primary, diskBlocks: disk, policy: policy)
        for index in 0..<400 {
            let request = (0..<rng.below(6) + 1).map { _ in ids[rng.below(ids.count)] }
            engine.process(traceIDs: request)
            model.process(request)
            let context = "seed \(seed) config \(primary)/\(disk)/\(policy.rawValue) request \(index) \(request)"
            if !TieringEngineModelTests.expectAgreement(engine, model, context) { return }
        }
    }

    /// Setup: keys that share their first 8 bytes: 0x5A then zeros, lengths 1 to 16 (up to 8
    /// bytes they live in the node as head + length, longer ones in the long-key array), plus
    /// 16-byte keys differing only in byte 15; all inserted, then every other one removed.
    /// Checks: each key reads back from its slot and is found there; `keyMatches` is false
    /// for every other key (so equal heads of different lengths never match, whatever the
    /// tags); after the removals the rest are still found and the removed ones are not.
    @Test func keysSharingTheirHeadStayDistinct() {
        var keys = (1...16).map { length in BlockKey(bytes: [0x5A] + Array(repeating: 0, count: length - 1))! }
        keys += (0..<8).map { last in BlockKey(bytes: [0x5A] + Array(repeating: 0, count: 14) + [UInt8(last + 1)])! }
        let d = BlockDirectory(primaryCapacity: keys.count, diskCapacity: 0)
        let slots = keys.map { key in
            let slot = d.insert(key)
            d.attachPrimary(slot, refCount: 0)
            return slot
        }
        for (index, key) in keys.enumerated() {
            #expect(d.key(slots[index]) == key, "key \(key)")
            #expect(d.find(key) == slots[index], "key \(key)")
            for (other, otherKey) in keys.enumerated() where other != index {
                #expect(!d.keyMatches(slots[index], otherKey), "slot of \(key) matched \(otherKey)")
            }
        }
        for index in stride(from: 0, to: keys.count, by: 2) {
            d.detachPrimary(slots[index])
            d.remove(slots[index])
        }
        for (index, key) in keys.enumerated() {
            #expect(d.find(key) == (index % 2 == 0 ? BlockDirectory.noSlot : slots[index]), "key \(key)")
        }
        d.checkInvariants()
    }
}
