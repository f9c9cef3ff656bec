// The disk tier's encode stage: encodes that come back late and out of order, rows stored
// raw when the encoder is behind (counted), byte-exact reads either way, deterministic
// under a seed (SeededDiskEncoder).
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier encoder")
struct DiskTierEncoderTests {
    /// Stores `count` blocks of `kind` with up to `depth` in flight, then reads every one
    /// back and checks it against its payload.
    static func storeAndVerify(
        _ tier: DiskTier<SimulatedIO>, count: Int, length: Int, kind: PayloadKind, depth: Int,
        zeroCopyRows: Bool = false
    ) throws {
        let completions = try DiskStoreWorkload.storeAll(
            tier, count: count, length: length, depth: depth, keepRows: zeroCopyRows,
            kind: { _ in kind }, step: tier.checkInvariants)
        for completion in completions {
            #expect(completion.outcome == .store(.stored), "\(completion)")
        }
        for id in 0..<count {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: UInt64(id)), length: length, kind: kind)
            #expect(outcome == .loaded(byteCount: length) && matches, "block \(id): \(outcome)")
        }
    }

    /// A payload every block of which `codec` keeps compressed.
    static func compressible(_ codec: DiskCodec) -> PayloadKind {
        codec == .lz4Shuffle2 ? .bf16 : .mixed(compressibleFraction: 0.5)
    }

    @Test("a lagging encoder: every block reads back byte-exact, raw fallbacks are counted")
    func laggingEncoder() throws {
        var reclaimed = 0
        for seed: UInt64 in [1, 2, 3, 4] {
            for codec in [DiskCodec.lz4, .lz4Shuffle2] {
                let io = SimulatedIO(seed: seed, requiredAlignment: 4096, queueDepth: 16)
                let tier = try DiskTier(
                    io: io, options: DiskTestSupport.options(capacity: 32 << 20, codec: codec))
                let encoder = SeededDiskEncoder(
                    seed: seed, blockByteCountMax: tier.blockByteCountMax, behindRate: 0.3)
                tier.useEncoder(encoder)
                try Self.storeAndVerify(
                    tier, count: 96, length: 65536, kind: Self.compressible(codec), depth: 12)
                let stats = tier.stats
                let context = "seed \(seed) \(codec): \(stats)"
                #expect(stats.stores == 96, "\(context)")
                #expect(stats.blocksEncoded + stats.blocksStoredRawBackpressure == 96, "\(context)")
                #expect(
                    stats.blocksStoredRawBackpressure
                        == encoder.behindCount + encoder.reclaimedCount, "\(context)")
                #expect(stats.blocksStoredRawBackpressure > 0 && stats.blocksEncoded > 0, "\(context)")
                #expect(stats.blocksCompressed == stats.blocksEncoded, "all compress: \(context)")
                #expect(stats.bytesStoredRawBackpressure == stats.blocksStoredRawBackpressure * 17 * 4096)
                #expect(stats.encodedDiskBytes < stats.encodedDiskBytesIfRaw, "\(context)")
                #expect(stats.estimatedBytesGivenUpBackpressure > 0, "\(context)")
                let inspection = tier.inspect()
                #expect(inspection.blocksByCodec[.none] == stats.blocksStoredRawBackpressure)
                #expect(inspection.blocksByCodec[codec] == stats.blocksCompressed)
                #expect(encoder.pendingCount == 0)
                reclaimed += encoder.reclaimedCount
            }
        }
        #expect(reclaimed > 0, "no encode was ever taken back: that path went untested")
    }

    @Test("the same seed makes the same tier: same codecs, pages and stats")
    func deterministic() throws {
        func run() throws -> (DiskTierStats, [BlockKey], Int) {
            let io = SimulatedIO(seed: 9, requiredAlignment: 4096, queueDepth: 16)
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 32 << 20, codec: .lz4Shuffle2))
            tier.useEncoder(SeededDiskEncoder(seed: 9, blockByteCountMax: tier.blockByteCountMax))
            try Self.storeAndVerify(
                tier, count: 64, length: 40000, kind: .mixed(compressibleFraction: 0.5), depth: 10)
            return (tier.stats, tier.keysLeastRecentFirst(), tier.usedBytes)
        }
        let first = try run()
        let second = try run()
        #expect(first.0 == second.0 && first.1 == second.1 && first.2 == second.2)
    }

    @Test("the inline encoder is never behind: random blocks are kept raw, most without an encode")
    func inlineEncoder() throws {
        let io = SimulatedIO(seed: 5, requiredAlignment: 4096)
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 32 << 20, codec: .lz4))
        try Self.storeAndVerify(tier, count: 32, length: 65536, kind: .random, depth: 8)
        let gate = DiskCompressionGate()
        // Encoded while the gate warms up, then one probe after `probeIntervalMin` rows.
        #expect(tier.stats.blocksEncoded == gate.warmUpCount + 1)
        #expect(tier.stats.blocksStoredRawIncompressible == 32 - gate.warmUpCount - 1)
        #expect(tier.stats.blocksStoredRawBackpressure == 0)
        #expect(tier.stats.blocksCompressed == 0)
        #expect(tier.stats.estimatedBytesGivenUpBackpressure == 0)
        #expect(tier.inspect().blocksByCodec[.none] == 32)
    }

    @Test("zero-copy: the encoder reads the caller's row late; raw fallbacks move in place")
    func zeroCopyRows() throws {
        for codec in [DiskCodec.lz4, .lz4Shuffle2] {
            let io = SimulatedIO(seed: 6, requiredAlignment: 4096, queueDepth: 16)
            var options = DiskTestSupport.options(capacity: 32 << 20, codec: codec)
            options.zeroCopy = true
            let tier = try DiskTier(io: io, options: options)
            let encoder = SeededDiskEncoder(
                seed: 6, blockByteCountMax: tier.blockByteCountMax, behindRate: 0.4)
            tier.useEncoder(encoder)
            for kind in [Self.compressible(codec), .random] {
                try Self.storeAndVerify(
                    tier, count: 48, length: 65536, kind: kind, depth: 12, zeroCopyRows: true)
            }
            let stats = tier.stats
            // Stored raw at submit: in place; taken back from the encoder: from staging.
            #expect(
                stats.zeroCopyStores + encoder.reclaimedCount == stats.blocksStoredRawBackpressure,
                "\(stats)")
            #expect(stats.blocksStoredRawBackpressure > 0 && stats.blocksCompressed > 0)
            tier.checkInvariants()
        }
    }

    @Test("a store of a key whose encode is pending is busy; loads of it miss")
    func pendingEncodeHoldsTheKey() throws {
        let io = SimulatedIO(seed: 7, requiredAlignment: 4096)
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 8 << 20, codec: .lz4))
        let encoder = SeededDiskEncoder(
            seed: 7, blockByteCountMax: tier.blockByteCountMax, behindRate: 0, pollCountMax: 1000)
        tier.useEncoder(encoder)
        let key = BlockKey(traceID: 1)
        #expect(try DiskTestSupport.store(tier, key, length: 8192, kind: .zeros) == .stored)
        let row = TestBuffer(count: 8192)
        PayloadGenerator.fill(row.prefix(8192), key: key, kind: .bf16)
        #expect(tier.submitStore(key: key, bytes: UnsafeRawBufferPointer(row.prefix(8192)), token: 5))
        #expect(encoder.pendingCount == 1)
        #expect(!tier.contains(key))
        #expect(try tier.load(key: key, into: row.pointer) == .miss)
        #expect(try tier.store(key: key, bytes: UnsafeRawBufferPointer(row.prefix(8192))) == .failed(.busy))
        tier.checkInvariants()
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        #expect(completions == [DiskCompletion(token: 5, key: key, outcome: .store(.stored))])
        let (outcome, matches) = try DiskTestSupport.loadMatches(tier, key, length: 8192, kind: .bf16)
        #expect(outcome == .loaded(byteCount: 8192) && matches)
        tier.checkInvariants()
    }

    @Test(
        "seeded simulation with a lagging encoder: faults, crashes, evictions, never wrong bytes",
        arguments: [1, 4096])
    func laggingSimulation(alignment: Int) throws {
        var stats = DiskTierStats()
        for seed in DiskTierSimulationTests.seeds {
            let codec: DiskCodec = seed % 2 == 0 ? .lz4 : .lz4Shuffle2
            for faultRate in [0, 0.03] {
                let simulation = try DiskSimulation(
                    seed: seed, alignment: alignment, faultRate: faultRate, codec: codec)
                simulation.makeEncoder = { encoderSeed in
                    SeededDiskEncoder(seed: encoderSeed, blockByteCountMax: 12_000, slotCount: 2)
                }
                simulation.attachHandler()
                try simulation.run(steps: 400)
                stats.blocksEncoded += simulation.tier.stats.blocksEncoded
                stats.blocksCompressed += simulation.tier.stats.blocksCompressed
                stats.blocksStoredRawBackpressure += simulation.tier.stats.blocksStoredRawBackpressure
            }
        }
        // The runs must have met both paths, or they prove nothing.
        #expect(stats.blocksEncoded > 0 && stats.blocksCompressed > 0, "\(stats)")
        #expect(stats.blocksStoredRawBackpressure > 0, "\(stats)")
    }
}
