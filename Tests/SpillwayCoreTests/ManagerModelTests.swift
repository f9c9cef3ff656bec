// Model-based test: random operation sequences on PrimaryTierManager and on the plain
// reference transcription of vLLM's manager, compared after every step.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct ManagerModelTests {
    /// Setup: per seed, 400 random operations (lookup, prepareStore, completeStore with
    /// success or failure, prepareLoad, completeLoad, touch) over 12 keys and 5 rows (no disk
    /// tier, so vLLM's semantics apply exactly). Checks after every step: equal results (row
    /// ids, evicted keys, nil cases, lookup counts), equal events, equal recency order, and
    /// equal ref count and row for every key; directory invariants hold.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomOperationsMatchReference(seedIndex: UInt64) {
        let seed = SplitMix64.seed(fallback: 0x5EED_0000 + seedIndex)
        var rng = SplitMix64(seed: seed)
        let universe = (0..<12).map { BlockKey(traceID: UInt64($0)) }
        let capacity = 5
        let m = PrimaryTierManager(primaryBlocks: capacity, blockSize: 64)
        let ref = ReferenceOffloadingManager(capacity: capacity, blockSize: 64)
        var pendingStores: [[BlockKey]] = []
        var loads: [[BlockKey]] = []

        func randomKeys() -> [BlockKey] {
            (0..<Int.random(in: 1...4, using: &rng)).map { _ in universe.randomElement(using: &rng)! }
        }

        for step in 0..<400 {
            let context = "seed \(seed) step \(step)"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1:
                let k = randomKeys()
                let got = m.lookup(k)
                #expect(got == .hit(count: ref.lookup(k), pending: 0), "\(context): lookup")
            case 2, 3, 4:
                let k = randomKeys()
                let got = m.prepareStore(k)
                let want = ref.prepareStore(k)
                #expect(got == want, "\(context): prepareStore \(k)")
                if let got, !got.keysToStore.isEmpty { pendingStores.append(k) }
            case 5, 6:
                guard !pendingStores.isEmpty else { continue }
                let k = pendingStores.remove(at: Int.random(in: 0..<pendingStores.count, using: &rng))
                let success = Int.random(in: 0..<4, using: &rng) != 0
                m.completeStore(k, success: success)
                ref.completeStore(k, success: success)
            case 7:
                let k = randomKeys()
                let n = ref.lookup(k)
                guard n > 0 else { continue }
                let ready = Array(k.prefix(n))
                #expect(m.prepareLoad(ready) == ref.prepareLoad(ready), "\(context): prepareLoad")
                loads.append(ready)
            case 8:
                guard !loads.isEmpty else { continue }
                let k = loads.remove(at: Int.random(in: 0..<loads.count, using: &rng))
                m.completeLoad(k)
                ref.completeLoad(k)
            default:
                let k = randomKeys()
                m.touch(k)
                ref.touch(k)
            }
            #expect(m.takeEvents() == ref.takeEvents(), "\(context): events")
            #expect(m.directory.primaryOrder.map(m.directory.key) == ref.order, "\(context): recency order")
            for key in universe {
                let slot = m.directory.find(key)
                let got = slot < 0 ? nil : ReferenceOffloadingManager.Block(refCount: m.directory.refCount(slot), row: m.directory.row(slot))
                #expect(got == ref.blocks[key], "\(context): state of \(key)")
            }
            m.directory.checkInvariants()
        }
    }
}
