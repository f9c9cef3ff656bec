// The encode stage's cheap paths: rows that stopped compressing are stored raw without an
// encode (counted, probed, resumed when the data compresses again), an inline encode reads
// the caller's row itself (no copy into staging first), and every form of
// `DiskEncodeWork.perform` leaves bytes that decode back to the row.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("Disk compression gate and encode copies")
struct DiskCompressionGateTests {
    /// Stores rows `first..<first+count` of `kind` and returns the stats added meanwhile.
    static func phase(
        _ tier: DiskTier<SimulatedIO>, first: Int, count: Int, kind: PayloadKind
    ) throws -> DiskTierStats {
        let before = tier.stats
        let row = IOTestBuffer(byteCount: 65536)
        let bytes = UnsafeMutableRawBufferPointer(start: row.pointer, count: 65536)
        for index in first..<(first + count) {
            let key = BlockKey(traceID: UInt64(index))
            PayloadGenerator.fill(bytes, key: key, kind: kind)
            #expect(try tier.store(key: key, bytes: UnsafeRawBufferPointer(bytes)) == .stored)
        }
        var delta = DiskTierStats()
        let after = tier.stats
        delta.stores = after.stores - before.stores
        delta.blocksEncoded = after.blocksEncoded - before.blocksEncoded
        delta.blocksCompressed = after.blocksCompressed - before.blocksCompressed
        delta.blocksStoredRawIncompressible =
            after.blocksStoredRawIncompressible - before.blocksStoredRawIncompressible
        delta.bytesStoredRawIncompressible =
            after.bytesStoredRawIncompressible - before.bytesStoredRawIncompressible
        return delta
    }

    @Test("random rows go raw without an encode; bf16 after them is compressed again; all byte-exact")
    func incompressiblePhases() throws {
        let gate = DiskCompressionGate()
        for codec in [DiskCodec.lz4Shuffle2, .lz4] {
            let io = SimulatedIO(seed: 11, requiredAlignment: 4096)
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 96 << 20, codec: codec))
            let compressible: PayloadKind = codec == .lz4Shuffle2 ? .bf16 : .zeros
            let phases: [(PayloadKind, Int)] = [(.random, 300), (compressible, 300), (.random, 300)]
            var first = 0
            var deltas: [DiskTierStats] = []
            for (kind, count) in phases {
                deltas.append(try Self.phase(tier, first: first, count: count, kind: kind))
                first += count
            }
            let context = "\(codec): \(deltas)"
            for delta in deltas {
                #expect(
                    delta.blocksEncoded + delta.blocksStoredRawIncompressible == delta.stores,
                    "every store is on one side: \(context)")
            }
            // Random: encoded only while warming up and for the probes (intervals 16, 32,
            // 64, ... up to the maximum), every other row stored raw for this reason.
            let probesAtMost = 300 / gate.probeIntervalMin
            #expect(deltas[0].blocksEncoded <= gate.warmUpCount + probesAtMost, "\(context)")
            #expect(deltas[0].blocksStoredRawIncompressible >= 300 - gate.warmUpCount - probesAtMost)
            #expect(deltas[0].bytesStoredRawIncompressible == deltas[0].blocksStoredRawIncompressible * 17 * 4096)
            #expect(deltas[0].blocksCompressed == 0)
            // Compressible again: the first probe reopens the gate, so at most one probe
            // interval of rows (the longest, after the random phase) goes raw.
            #expect(
                deltas[1].blocksStoredRawIncompressible < gate.probeIntervalMax, "\(context)")
            #expect(deltas[1].blocksCompressed >= 300 - gate.probeIntervalMax, "\(context)")
            #expect(deltas[1].blocksCompressed == deltas[1].blocksEncoded, "\(context)")
            // And closes again once random rows are back.
            #expect(deltas[2].blocksStoredRawIncompressible >= 300 - 16 - probesAtMost, "\(context)")
            #expect(tier.stats.estimatedBytesGivenUpIncompressible < tier.stats.bytesStoredRawIncompressible / 50)
            for index in 0..<first {
                let kind = index >= 300 && index < 600 ? compressible : PayloadKind.random
                let (outcome, matches) = try DiskTestSupport.loadMatches(
                    tier, BlockKey(traceID: UInt64(index)), length: 65536, kind: kind)
                #expect(outcome == .loaded(byteCount: 65536) && matches, "row \(index): \(outcome)")
            }
            tier.checkInvariants()
        }
    }

    @Test("the gate alone: it closes after the warm-up, backs off only on probes that saved nothing, and a saving probe reopens it")
    func gateBackoff() {
        var gate = DiskCompressionGate(warmUpCount: 8, probeIntervalMin: 16, probeIntervalMax: 256)
        // Ten encodes in flight at once (a pool with a queue), all saving nothing.
        for _ in 0..<10 {
            let admitted = gate.admits()
            #expect(admitted)
        }
        for _ in 0..<8 { gate.record(rawLength: 4096, storedLength: 4096) }
        #expect(gate.isClosed && gate.probeInterval == 16)
        // The two encodes queued before it closed finish now: no probe, no back-off.
        for _ in 0..<2 { gate.record(rawLength: 4096, storedLength: 4096) }
        #expect(gate.probeInterval == 16)
        // Rows 1...15 go raw, row 16 is a probe; it saves nothing: the interval doubles.
        var admitted = (1...16).map { _ in gate.admits() }
        #expect(admitted == Array(repeating: false, count: 15) + [true])
        gate.record(rawLength: 4096, storedLength: 4096)
        #expect(gate.isClosed && gate.probeInterval == 32)
        // The next probe (row 32) saves 50%: open again at the shortest interval.
        admitted = (1...32).map { _ in gate.admits() }
        #expect(admitted == Array(repeating: false, count: 31) + [true])
        gate.record(rawLength: 4096, storedLength: 2048)
        let reopened = gate.admits()
        #expect(!gate.isClosed && gate.probeInterval == 16 && reopened)
    }

    @Test("a lagging encoder on random rows: raw for either reason, counted once, byte-exact")
    func laggingIncompressible() throws {
        for seed: UInt64 in [1, 2, 3] {
            let io = SimulatedIO(seed: seed, requiredAlignment: 4096, queueDepth: 16)
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 32 << 20, codec: .lz4Shuffle2))
            tier.useEncoder(
                SeededDiskEncoder(seed: seed, blockByteCountMax: tier.blockByteCountMax))
            try DiskTierEncoderTests.storeAndVerify(
                tier, count: 200, length: 65536, kind: .random, depth: 12)
            let stats = tier.stats
            #expect(
                stats.blocksEncoded + stats.blocksStoredRawBackpressure
                    + stats.blocksStoredRawIncompressible == 200, "seed \(seed): \(stats)")
            #expect(stats.blocksStoredRawIncompressible > 100, "seed \(seed): \(stats)")
            #expect(stats.blocksCompressed == 0)
            #expect(tier.inspect().blocksByCodec[.none] == 200)
        }
    }

    /// Encodes like `InlineDiskEncoder` and remembers each work's source; claims
    /// `encodesInSubmit` as told.
    final class RecordingEncoder: DiskEncoder {
        let blockByteCountMax: Int
        let encodesInSubmit: Bool
        var threadCount: Int { 0 }
        var isBehind: Bool { false }
        var sources: [UnsafeRawPointer] = []
        private var finished: [DiskEncodeResult] = []
        private let scratch: UnsafeMutableRawPointer

        init(blockByteCountMax: Int, encodesInSubmit: Bool) {
            self.blockByteCountMax = blockByteCountMax
            self.encodesInSubmit = encodesInSubmit
            scratch = .allocate(byteCount: blockByteCountMax, alignment: 64)
        }

        deinit { scratch.deallocate() }

        func submit(_ work: DiskEncodeWork) {
            sources.append(work.source)
            finished.append(work.perform(scratch: scratch))
        }

        func takeFinished(into results: inout [DiskEncodeResult]) {
            results.append(contentsOf: finished)
            finished.removeAll()
        }

        func reclaim(into work: inout [DiskEncodeWork]) {}

        func waitFinished(into results: inout [DiskEncodeResult]) {
            takeFinished(into: &results)
        }
    }

    @Test("an encoder that finishes in submit reads the caller's row: no copy into staging")
    func inlineEncodeReadsTheRow() throws {
        #expect(InlineDiskEncoder(blockByteCountMax: 16).encodesInSubmit)
        for inSubmit in [true, false] {
            let io = SimulatedIO(seed: 3, requiredAlignment: 4096)
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 8 << 20, codec: .lz4))
            let encoder = RecordingEncoder(
                blockByteCountMax: tier.blockByteCountMax, encodesInSubmit: inSubmit)
            tier.useEncoder(encoder)
            let row = IOTestBuffer(byteCount: 65536)
            let bytes = UnsafeMutableRawBufferPointer(start: row.pointer, count: 65536)
            for index in 0..<4 {
                let key = BlockKey(traceID: UInt64(index))
                PayloadGenerator.fill(bytes, key: key, kind: index % 2 == 0 ? .zeros : .random)
                #expect(try tier.store(key: key, bytes: UnsafeRawBufferPointer(bytes)) == .stored)
            }
            #expect(encoder.sources.count == 4)
            for source in encoder.sources {
                #expect(
                    (source == UnsafeRawPointer(row.pointer)) == inSubmit,
                    "encodesInSubmit \(inSubmit): source is \(source == UnsafeRawPointer(row.pointer) ? "the row" : "a copy")")
            }
            for index in 0..<4 {
                let (outcome, matches) = try DiskTestSupport.loadMatches(
                    tier, BlockKey(traceID: UInt64(index)), length: 65536,
                    kind: index % 2 == 0 ? .zeros : .random)
                #expect(outcome == .loaded(byteCount: 65536) && matches)
            }
        }
    }

    @Test("perform, from the row or in place, compressed or not: the stored bytes decode to the row")
    func performRoundTrips() throws {
        let length = 65536
        let row = IOTestBuffer(byteCount: length)
        let staging = IOTestBuffer(byteCount: length)
        let scratch = IOTestBuffer(byteCount: length)
        let decoded = IOTestBuffer(byteCount: length)
        let kinds: [PayloadKind] = [.random, .bf16, .zeros, .mixed(compressibleFraction: 0.5)]
        for codec in [DiskCodec.none, .lz4, .lz4Shuffle2] {
            for kind in kinds {
                for inPlace in [false, true] {
                    let key = BlockKey(traceID: 42)
                    let original = UnsafeMutableRawBufferPointer(start: row.pointer, count: length)
                    PayloadGenerator.fill(original, key: key, kind: kind)
                    if inPlace { staging.pointer.copyMemory(from: row.pointer, byteCount: length) }
                    let work = DiskEncodeWork(
                        tag: 1, codec: codec,
                        source: UnsafeRawPointer(inPlace ? staging.pointer : row.pointer),
                        destination: staging.pointer, rawLength: length, capacity: length * 9 / 10)
                    let result = work.perform(scratch: scratch.pointer)
                    let context = "\(codec) \(kind) in place \(inPlace): \(result)"
                    let stored = UnsafeRawBufferPointer(start: staging.pointer, count: result.storedLength)
                    #expect(CRC32C.checksum(stored) == result.payloadCRC, "\(context)")
                    #expect(
                        result.codec.decodePayload(
                            staging.pointer, storedLength: result.storedLength,
                            into: decoded.pointer, rawLength: length, scratch: scratch.pointer),
                        "\(context)")
                    #expect(memcmp(decoded.pointer, row.pointer, length) == 0, "\(context)")
                    #expect((result.codec == .none) == (result.storedLength == length), "\(context)")
                }
            }
        }
    }
}
