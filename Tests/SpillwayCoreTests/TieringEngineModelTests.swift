// The tiering engine against a plain reference model on random traces, with and without failing
// disk reads, and with the recording data path checking every byte movement.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct TieringEngineModelTests {
    /// A random trace with shared prefixes and repeats, so every branch (promotion, promote
    /// failure, store skip, disk eviction, dropped spills, duplicate keys) occurs.
    static func randomTrace(_ rng: inout SplitMix64, requests: Int) -> [[UInt64]] {
        var trace: [[UInt64]] = []
        var next: UInt64 = 0
        for _ in 0..<requests {
            var keys: [UInt64] = []
            if !trace.isEmpty && Int.random(in: 0..<3, using: &rng) != 0 {
                let base = trace.randomElement(using: &rng)!
                keys = Array(base.prefix(Int.random(in: 0...base.count, using: &rng)))
            }
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                if Int.random(in: 0..<10, using: &rng) == 0 && !keys.isEmpty {
                    keys.append(keys.randomElement(using: &rng)!)  // duplicate inside a request
                } else {
                    keys.append(next)
                    next += 1
                }
            }
            trace.append(keys)
        }
        return trace
    }

    /// Expects the engine and the model to agree after a request (counters, primary and
    /// disk recency orders) and the directory's invariants to hold; returns whether the
    /// counters agree (callers stop at the first disagreement).
    static func expectAgreement<Path: TierDataPath>(
        _ engine: TieringEngine<Path>, _ model: ReferenceTieringModel, _ context: String
    ) -> Bool {
        #expect(engine.counters == model.counters, "\(context)")
        #expect(engine.directory.primaryOrder.map { engine.directory.key($0).traceID! } == model.primary, "\(context): primary order")
        #expect(engine.directory.diskOrder.map { engine.directory.key($0).traceID! } == model.disk, "\(context): disk order")
        engine.directory.checkInvariants()
        return engine.counters == model.counters
    }

    /// Setup: per seed and configuration (tiny capacities, both policies, some with a disk
    /// read failing every 5th or 3rd read), 300 random requests through the engine with a
    /// RecordingDataPath and through ReferenceTieringModel. Checks after every request: equal
    /// counters, equal primary and disk recency orders, no data-path violation (no wrong
    /// block read, no row or record overwritten while in use); invariants hold.
    @Test(arguments: [
        (4, 0, TieringPolicy.spill, 0), (4, 8, .spill, 0), (3, 6, .writeThrough, 0),
        (6, 3, .spill, 0), (5, 5, .writeThrough, 0), (4, 8, .spill, 5), (3, 9, .writeThrough, 3),
        (2, 4, .spill, 2),
    ])
    func engineMatchesReference(primary: Int, disk: Int, policy: TieringPolicy, failEvery: Int) {
        for seedIndex in 0..<4 as Range<UInt64> {
            let seed = SplitMix64.seed(fallback: 0xE46_1000 + seedIndex * 31 + UInt64(primary * 7 + disk))
            var rng = SplitMix64(seed: seed)
            let trace = Self.randomTrace(&rng, requests: 300)
            let fail: (Int) -> Bool = { failEvery > 0 && $0 % failEvery == failEvery - 1 }
            let path = RecordingDataPath(primaryBlocks: primary, diskBlocks: disk, failRead: fail)
            let engine = TieringEngine(primaryBlocks: primary, diskBlocks: disk, policy: policy, dataPath: path)
            let model = ReferenceTieringModel(primaryBlocks: primary, diskBlocks: disk, policy: policy, failRead: fail)
            for (index, request) in trace.enumerated() {
                engine.process(traceIDs: request)
                model.process(request)
                let context = "seed \(seed) config \(primary)/\(disk)/\(policy.rawValue)/fail\(failEvery) request \(index) \(request)"
                let agrees = Self.expectAgreement(engine, model, context)
                #expect(path.violations.isEmpty, "\(context): \(path.violations)")
                if !agrees || !path.violations.isEmpty { return }
            }
            if failEvery > 0 { #expect(engine.counters.diskReadFailures > 0, "seed \(seed): no read failed, the case tests nothing") }
        }
    }

    /// Setup: the real trace's first 600 requests with 100 rows / 800 disk records (spill),
    /// every 11th disk read failing. Checks: failed reads become misses (hit_disk ==
    /// disk_reads, hits + misses == blocks, counters equal the reference model's), the data
    /// path never served a wrong block, and the store goes on working (invariants).
    @Test func failedDiskReadsTurnIntoMissesMidReplay() throws {
        let directory = try #require(SharedTraces.directory(testFile: #filePath))
        let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent("mooncake-synthetic.jsonl")))
        let requests = Array(try MooncakeTrace.parse(bytes).requests.prefix(600))
        let fail: (Int) -> Bool = { $0 % 11 == 10 }
        let path = RecordingDataPath(primaryBlocks: 100, diskBlocks: 800, failRead: fail)
        let replay = ReplayEngine(primaryBlocks: 100, diskBlocks: 800, policy: .spill, dataPath: path)
        let clean = ReplayEngine(primaryBlocks: 100, diskBlocks: 800, policy: .spill)
        let model = ReferenceTieringModel(primaryBlocks: 100, diskBlocks: 800, policy: .spill, failRead: fail)
        for request in requests {
            replay.replay(request)
            clean.replay(request)
            model.process(request.hashIDs)
        }
        let c = replay.counters
        #expect(c.diskReadFailures > 0 && c.diskReadFailures == path.failedReads)
        #expect(c.hitDisk == c.diskReads)
        #expect(c.hitPrimary + c.hitDisk + c.miss == c.blocks)
        #expect(c.miss > clean.counters.miss, "failed reads must add misses")
        #expect(replay.engine.counters == model.counters)
        #expect(path.violations.isEmpty, "\(path.violations)")
        replay.engine.directory.checkInvariants()
        let text = try JSONText.encode(c)
        #expect(text.contains("\"disk_read_failures\":\(c.diskReadFailures),"))
        #expect(try !JSONText.encode(clean.counters).contains("failures"))
    }
}
