// Adversarial tests of the disk tier; each pins down a bug found in review.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier adversarial")
struct DiskTierAdversarialTests {
    @Test("a store larger than the whole tier fails at once and evicts nothing")
    func storeLargerThanCapacityEvictsNothing() throws {
        let io = SimulatedIO(seed: 41, requiredAlignment: 4096)
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 8 * 4096, blockMax: 64 << 10))
        var evicted: [BlockKey] = []
        tier.evictionHandler = { evicted.append($0) }
        for id in 0..<4 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 2000) == .stored)
        }
        // 40,000 bytes + the 128-byte header = 10 pages: more than the 8 pages of the file,
        // so no eviction can ever make room for it.
        let outcome = try DiskTestSupport.store(tier, BlockKey(traceID: 99), length: 40_000)
        #expect(outcome == .failed(.noRoom))
        #expect(evicted.isEmpty, "evicted \(evicted.count) blocks for a store that cannot fit")
        #expect(tier.blockCount == 4)
        #expect(tier.stats.evictions == 0)
        for id in 0..<4 as Range<UInt64> {
            let (loaded, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: id), length: 2000)
            #expect(loaded == .loaded(byteCount: 2000) && matches)
        }
        tier.checkInvariants()
    }
}
