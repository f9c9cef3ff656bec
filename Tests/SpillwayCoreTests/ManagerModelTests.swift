// Model-based test: random operation sequences on PrimaryTierManager and on the plain
// reference model (ReferenceOffloadingManager over ReferenceTieringCore), compared after
// every step, without a disk tier (vLLM's manager exactly) and with one.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct ManagerModelTests {
    /// Setup: per seed, 400 random operations (lookup, prepareStore, completeStore with
    /// success or failure, prepareLoad, completeLoad, touch) over 12 keys and 5 rows (no disk
    /// tier, so vLLM's semantics apply exactly). Checks after every step: see `run`.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomOperationsMatchReference(seedIndex: UInt64) {
        run(seed: SplitMix64.seed(fallback: 0x5EED_0000 + seedIndex), keys: 12, rows: 5, disk: 0, policy: .spill, steps: 400)
    }

    /// Setup: per seed and policy, 600 random operations over 14 keys, 4 rows and 5 disk
    /// records, promotions (prepare, complete with success or failure) included, so spills,
    /// write-through writes, disk evictions, dropped writes, pinned disk copies, lookups
    /// answering pending or retry and failed reads all occur (checked at the end). Checks
    /// after every step: see `run`.
    @Test(arguments: [(1, TieringPolicy.spill), (2, .spill), (3, .spill), (4, .writeThrough), (5, .writeThrough), (6, .writeThrough)] as [(UInt64, TieringPolicy)])
    func randomOperationsWithDiskMatchReference(seedIndex: UInt64, policy: TieringPolicy) {
        run(seed: SplitMix64.seed(fallback: 0xD15C_0000 + seedIndex), keys: 14, rows: 4, disk: 5, policy: policy, steps: 600)
    }

    /// Checks after every step: equal results (row ids, evicted keys, nil cases, promoted
    /// keys and rows, lookups), equal events (CPU and STORAGE), equal primary and disk
    /// recency orders, equal ref count and row for every key, equal movement counters;
    /// directory invariants hold.
    func run(seed: UInt64, keys keyCount: Int, rows: Int, disk: Int, policy: TieringPolicy, steps: Int) {
        var rng = SplitMix64(seed: seed)
        let universe = (0..<keyCount).map { BlockKey(traceID: UInt64($0)) }
        let m = PrimaryTierManager(primaryBlocks: rows, diskBlocks: disk, policy: policy, blockSize: 64)
        let ref = ReferenceOffloadingManager(capacity: rows, diskCapacity: disk, policy: policy, blockSize: 64)
        var pendingStores: [[BlockKey]] = []
        var loads: [[BlockKey]] = []
        var promotions: [[BlockKey]] = []
        var promoted = 0

        func randomKeys() -> [BlockKey] {
            (0..<Int.random(in: 1...4, using: &rng)).map { _ in universe.randomElement(using: &rng)! }
        }

        for step in 0..<steps {
            let context = "seed \(seed) disk \(disk) \(policy.rawValue) step \(step)"
            switch Int.random(in: 0..<(disk > 0 ? 14 : 10), using: &rng) {
            case 0, 1:
                let k = randomKeys()
                #expect(m.lookup(k) == ref.lookup(k), "\(context): lookup \(k)")
            case 2, 3, 4:
                let k = randomKeys()
                let got = m.prepareStore(k)
                #expect(got == ref.prepareStore(k), "\(context): prepareStore \(k)")
                if let got, !got.keysToStore.isEmpty { pendingStores.append(k) }
            case 5, 6:
                guard !pendingStores.isEmpty else { continue }
                let k = pendingStores.remove(at: Int.random(in: 0..<pendingStores.count, using: &rng))
                let success = Int.random(in: 0..<4, using: &rng) != 0
                m.completeStore(k, success: success)
                ref.completeStore(k, success: success)
            case 7:
                let k = randomKeys()
                let ready = Array(k.prefix(while: { ref.blocks[$0].map { $0.refCount >= 0 } ?? false }))
                guard !ready.isEmpty else { continue }
                #expect(m.prepareLoad(ready) == ref.prepareLoad(ready), "\(context): prepareLoad")
                loads.append(ready)
            case 8:
                guard !loads.isEmpty else { continue }
                let k = loads.remove(at: Int.random(in: 0..<loads.count, using: &rng))
                m.completeLoad(k)
                ref.completeLoad(k)
            case 10, 11:
                let k = randomKeys()
                let got = m.preparePromotion(k)
                let want = ref.preparePromotion(k)
                #expect(
                    got?.keys == want?.keys && got?.rows == want?.rows && got?.evicted == want?.evicted,
                    "\(context): preparePromotion \(k)")
                if let got, !got.keys.isEmpty {
                    promotions.append(got.keys)
                    promoted += got.keys.count
                }
            case 12, 13:
                guard !promotions.isEmpty else { continue }
                let k = promotions.remove(at: Int.random(in: 0..<promotions.count, using: &rng))
                let success = Int.random(in: 0..<3, using: &rng) != 0
                m.completePromotion(k, success: success)
                ref.completePromotion(k, success: success)
            default:
                let k = randomKeys()
                m.touch(k)
                ref.touch(k)
            }
            #expect(m.takeEvents() == ref.takeEvents(), "\(context): events")
            #expect(m.directory.primaryOrder.map(m.directory.key) == ref.order, "\(context): primary order")
            #expect(m.directory.diskOrder.map(m.directory.key) == ref.core.disk, "\(context): disk order")
            for key in universe {
                let slot = m.directory.find(key)
                let got = slot < 0 || m.directory.row(slot) < 0
                    ? nil : ReferenceOffloadingManager.Block(refCount: m.directory.refCount(slot), row: m.directory.row(slot))
                #expect(got == ref.blocks[key], "\(context): state of \(key)")
            }
            #expect(m.core.counters == ref.core.counters, "\(context): counters")
            m.directory.checkInvariants()
        }
        if disk > 0 {
            let c = m.core.counters
            #expect(
                promoted > 0 && c.diskReadFailures > 0 && c.diskEvictions > 0 && c.diskWrites > 0,
                "seed \(seed): the run must promote, fail a read, evict from disk and write (\(promoted), \(c))")
        }
    }
}
