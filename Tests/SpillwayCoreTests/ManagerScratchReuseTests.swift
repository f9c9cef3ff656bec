// The manager's allocation-free forms (prepareStore(into:), prepareLoad(into:), lookup of an
// Array) against the plain forms on a twin manager: same results, events and stats.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct ManagerScratchReuseTests {
    /// Setup: per seed, 600 random operations over 16 keys, 4 rows and 6 disk records (spill or
    /// write-through, events on). Twin A uses the allocating forms and the generic `lookup`
    /// (an ArraySlice), twin B the `into:` forms with one reused result and rows array and the
    /// Array `lookup`. Checks after every step: equal results, events, stats, invariants.
    @Test(arguments: [(1, TieringPolicy.spill), (2, .spill), (3, .writeThrough), (4, .writeThrough)] as [(UInt64, TieringPolicy)])
    func intoFormsMatchPlainForms(seedIndex: UInt64, policy: TieringPolicy) {
        let seed = SplitMix64.seed(fallback: 0xA110_0000 + seedIndex)
        var rng = SplitMix64(seed: seed)
        let universe = (0..<16).map { BlockKey(traceID: UInt64($0)) }
        let a = PrimaryTierManager(primaryBlocks: 4, diskBlocks: 6, policy: policy, blockSize: 64)
        let b = PrimaryTierManager(primaryBlocks: 4, diskBlocks: 6, policy: policy, blockSize: 64)
        var reused = PrepareStoreResult(keysToStore: [], rows: [], evicted: [])
        var rows: [Int32] = []
        var pendingStores: [[BlockKey]] = []
        var loads: [[BlockKey]] = []

        for step in 0..<600 {
            let context = "seed \(seed) \(policy) step \(step)"
            let keys = (0..<Int.random(in: 1...5, using: &rng)).map { _ in universe.randomElement(using: &rng)! }
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1:
                #expect(a.lookup(keys[...]) == b.lookup(keys), "\(context): lookup")
            case 2, 3:
                let plain = a.prepareStore(keys)
                let ok = b.prepareStore(keys, into: &reused)
                #expect(plain == (ok ? reused : nil), "\(context): prepareStore \(keys)")
                if ok && !reused.keysToStore.isEmpty { pendingStores.append(keys) }
            case 4:
                if !pendingStores.isEmpty {
                    let stored = pendingStores.removeFirst()
                    let success = Bool.random(using: &rng)
                    a.completeStore(stored, success: success)
                    b.completeStore(stored, success: success)
                }
            case 5:
                let readable = a.lookup(keys)
                #expect(readable == b.lookup(keys), "\(context): lookup before load")
                if case .hit(let count, 0) = readable, count == keys.count {
                    let plain = a.prepareLoad(keys)
                    b.prepareLoad(keys, into: &rows)
                    #expect(plain == rows, "\(context): prepareLoad \(keys)")
                    loads.append(keys)
                }
            case 6:
                if !loads.isEmpty {
                    let done = loads.removeFirst()
                    a.completeLoad(done)
                    b.completeLoad(done)
                }
            default:
                a.touch(keys)
                b.touch(keys)
            }
            #expect(a.takeEvents() == b.takeEvents(), "\(context): events")
            #expect(a.stats == b.stats, "\(context): stats")
            for key in universe {
                let slotA = a.directory.find(key)
                let slotB = b.directory.find(key)
                #expect((slotA < 0) == (slotB < 0), "\(context): presence of \(key)")
                if slotA >= 0 && slotB >= 0 {
                    #expect(a.directory.row(slotA) == b.directory.row(slotB), "\(context): row of \(key)")
                    #expect(a.directory.diskRecord(slotA) == b.directory.diskRecord(slotB), "\(context): record of \(key)")
                }
            }
        }
    }
}
