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
}
