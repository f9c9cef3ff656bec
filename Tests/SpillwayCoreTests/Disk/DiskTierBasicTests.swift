// Disk tier behaviour over a fault-free SimulatedIO: round trips, misses, replace, remove,
// LRU eviction order, capacity, and the reported evictions.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier basics")
struct DiskTierBasicTests {
    @Test("stored blocks read back byte-identical; absent keys miss", arguments: [1, 4096])
    func roundTrip(alignment: Int) throws {
        let io = SimulatedIO(seed: 1, requiredAlignment: alignment)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 4 << 20))
        let lengths = [1, 100, 4095, 4096, 4097 - 128, 30000, 65536]
        for (index, length) in lengths.enumerated() {
            #expect(
                try DiskTestSupport.store(tier, BlockKey(traceID: UInt64(index)), length: length)
                    == .stored)
            tier.checkInvariants()
        }
        for (index, length) in lengths.enumerated() {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: UInt64(index)), length: length)
            #expect(outcome == .loaded(byteCount: length))
            #expect(matches, "block \(index) of \(length) bytes differs")
        }
        let buffer = TestBuffer(count: 65536)
        #expect(try tier.load(key: BlockKey(traceID: 999), into: buffer.pointer) == .miss)
        #expect(tier.blockCount == lengths.count)
        tier.checkInvariants()
    }

    @Test("a store replaces the block under the same key; remove frees it")
    func replaceAndRemove() throws {
        let io = SimulatedIO(seed: 2)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        let key = BlockKey(traceID: 7)
        #expect(try DiskTestSupport.store(tier, key, length: 5000, kind: .random) == .stored)
        #expect(try DiskTestSupport.store(tier, key, length: 9000, kind: .bf16) == .stored)
        let (outcome, matches) = try DiskTestSupport.loadMatches(
            tier, key, length: 9000, kind: .bf16)
        #expect(outcome == .loaded(byteCount: 9000) && matches)
        #expect(tier.blockCount == 1)
        #expect(tier.usedBytes == 3 * 4096)
        #expect(tier.remove(key))
        #expect(!tier.contains(key))
        #expect(tier.usedBytes == 0)
        #expect(!tier.remove(key))
        tier.checkInvariants()
    }

    @Test(
        "a full tier evicts least recently used first, reports each eviction, never exceeds capacity"
    )
    func lruEviction() throws {
        let io = SimulatedIO(seed: 3)
        // 16 pages; each 8000-byte block takes 2 pages, so 8 fit.
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 16 * 4096, blockMax: 8000))
        var evicted: [UInt64] = []
        tier.evictionHandler = { evicted.append($0.traceID!) }
        for id in 0..<8 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 8000) == .stored)
        }
        #expect(evicted.isEmpty)
        #expect(tier.touch(BlockKey(traceID: 0)))  // 0 becomes most recent; 1 is now least
        for id in 8..<11 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 8000) == .stored)
            #expect(tier.usedBytes <= tier.capacityBytes)
            tier.checkInvariants()
        }
        #expect(evicted == [1, 2, 3])
        #expect(tier.contains(BlockKey(traceID: 0)))
        #expect(!tier.contains(BlockKey(traceID: 1)))
        #expect(tier.stats.evictions == 3)
        #expect(tier.blockCount == 8)
    }

    @Test("oversized stores and too-small load buffers fail without side effects")
    func limits() throws {
        let io = SimulatedIO(seed: 4)
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 1 << 20, blockMax: 10000))
        #expect(
            try DiskTestSupport.store(tier, BlockKey(traceID: 1), length: 10001)
                == .failed(.tooLarge))
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 2), length: 10000) == .stored)
        let small = TestBuffer(count: 100)
        #expect(
            try tier.load(key: BlockKey(traceID: 2), into: small.pointer)
                == .failed(.bufferTooSmall(needed: 10000)))
        #expect(tier.contains(BlockKey(traceID: 2)))
        tier.checkInvariants()
    }

    @Test("async jobs: every submitted job completes exactly once with its token")
    func asyncJobs() throws {
        let io = SimulatedIO(
            seed: 5, requiredAlignment: 4096, queueDepth: 8, faults: .init(reorder: 1))
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 8 << 20, jobs: 8))
        let source = TestBuffer(count: 20000)
        var completions: [DiskCompletion] = []
        var submitted = 0
        for id in 0..<64 as Range<UInt64> {
            let key = BlockKey(traceID: id)
            PayloadGenerator.fill(source.prefix(20000), key: key, kind: .random)
            while !tier.submitStore(
                key: key, bytes: UnsafeRawBufferPointer(source.prefix(20000)), token: id)
            {
                try tier.wait(into: &completions, minimum: 1)
            }
            submitted += 1
        }
        try tier.wait(into: &completions, minimum: submitted)
        #expect(completions.count == 64)
        #expect(Set(completions.map(\.token)) == Set(0..<64))
        #expect(completions.allSatisfy { $0.outcome == .store(.stored) })
        let buffers = (0..<64).map { _ in TestBuffer(count: 20000) }
        completions.removeAll()
        for id in 0..<64 {
            while !tier.submitLoad(
                key: BlockKey(traceID: UInt64(id)), into: buffers[id].pointer,
                token: UInt64(1000 + id))
            {
                try tier.wait(into: &completions, minimum: 1)
            }
        }
        try tier.wait(into: &completions, minimum: 64)
        #expect(completions.count == 64)
        for completion in completions {
            #expect(completion.outcome == .load(.loaded(byteCount: 20000)))
            let id = Int(completion.token) - 1000
            #expect(
                PayloadGenerator.matches(
                    UnsafeRawBufferPointer(buffers[id].prefix(20000)), key: completion.key,
                    kind: .random))
        }
        #expect(tier.inFlightJobCount == 0)
        #expect(io.outstandingRequestCount == 0)
        tier.checkInvariants()
    }
}
