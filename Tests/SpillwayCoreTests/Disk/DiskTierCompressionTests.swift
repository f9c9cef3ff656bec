// LZ4 in the disk tier: round trips per payload kind and codec, raw fallback for
// incompressible blocks, and more blocks per byte when blocks compress.
import SpillwayCore
import SpillwayTesting
import Testing
@testable import SpillwayTools

@Suite("DiskTier compression")
struct DiskTierCompressionTests {
    static let cases: [(DiskCodec, PayloadKind)] = [
        (.lz4, .random), (.lz4, .zeros), (.lz4, .bf16), (.lz4, .mixed(compressibleFraction: 0.5)),
        (.lz4Shuffle2, .random), (.lz4Shuffle2, .zeros), (.lz4Shuffle2, .bf16),
    ]

    @Test("round trips byte-identical for every codec and payload kind, odd lengths too")
    func roundTrips() throws {
        for (codec, kind) in Self.cases {
            let io = SimulatedIO(seed: 11, requiredAlignment: 4096)
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 8 << 20, codec: codec))
            for (index, length) in [1, 2, 1001, 4096, 65535, 65536].enumerated() {
                let key = BlockKey(traceID: UInt64(index))
                #expect(try DiskTestSupport.store(tier, key, length: length, kind: kind) == .stored)
                let (outcome, matches) = try DiskTestSupport.loadMatches(
                    tier, key, length: length, kind: kind)
                #expect(outcome == .loaded(byteCount: length), "\(codec) \(kind) \(length)")
                #expect(matches, "\(codec) \(kind) \(length) bytes came back different")
            }
            tier.checkInvariants()
        }
    }

    @Test("incompressible blocks are stored raw; zeros compress; shuffled bf16 gains")
    func codecMix() throws {
        for (codec, kind, expectRaw) in [
            (DiskCodec.lz4, PayloadKind.random, true), (.lz4, .zeros, false),
            (.lz4Shuffle2, .bf16, false),
        ] {
            let io = SimulatedIO(seed: 12)
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 8 << 20, codec: codec))
            for id in 0..<8 as Range<UInt64> {
                #expect(
                    try DiskTestSupport.store(
                        tier, BlockKey(traceID: id), length: 65536, kind: kind) == .stored)
            }
            let inspection = tier.inspect()
            if expectRaw {
                #expect(inspection.blocksByCodec[.none] == 8, "\(kind) should be stored raw")
                #expect(inspection.compressionRatio == 1)
            } else {
                #expect(
                    inspection.blocksByCodec[codec] == 8, "\(kind) should be stored with \(codec)")
                #expect(
                    inspection.compressionRatio > 1.05,
                    "\(kind) ratio \(inspection.compressionRatio)")
            }
        }
    }

    @Test("compressible blocks take fewer pages, so the same capacity holds more of them")
    func compressionRaisesCapacity() throws {
        func blocksHeld(codec: DiskCodec, kind: PayloadKind) throws -> Int {
            let io = SimulatedIO(seed: 13)
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 1 << 20, codec: codec))
            for id in 0..<200 as Range<UInt64> {
                #expect(
                    try DiskTestSupport.store(
                        tier, BlockKey(traceID: id), length: 65536, kind: kind) == .stored)
                #expect(tier.usedBytes <= tier.capacityBytes)
            }
            tier.checkInvariants()
            return tier.blockCount
        }
        let raw = try blocksHeld(codec: .none, kind: .mixed(compressibleFraction: 0.5))
        let compressed = try blocksHeld(codec: .lz4, kind: .mixed(compressibleFraction: 0.5))
        let bf16Raw = try blocksHeld(codec: .none, kind: .bf16)
        let bf16Shuffled = try blocksHeld(codec: .lz4Shuffle2, kind: .bf16)
        #expect(raw == 15)  // 1 MiB / 17 pages per 64 KiB block
        #expect(compressed > raw * 3 / 2, "lz4 held \(compressed) blocks, raw \(raw)")
        #expect(bf16Shuffled > bf16Raw, "shuffled bf16 held \(bf16Shuffled), raw \(bf16Raw)")
    }
}
