// The threaded encode pool: encodes that decode back to their rows, the pool saying it is
// behind when its slots are full, and a disk tier over io_uring whose rows are compressed on
// pool threads or stored raw while they are busy, every one read back byte-exact (also
// after a reopen) and every store counted on one side.
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTesting
import Testing

@Suite("Disk tier encode pool")
struct DiskTierEncodePoolTests {
    @Test("pool encodes decode back to their rows; behind only with every slot taken")
    func poolRoundTrips() throws {
        let length = 65536
        let count = 48
        let pool = try ThreadedDiskEncoder(threadCount: 2, blockByteCountMax: length)
        let sources = IOTestBuffer(byteCount: length * count)
        let outputs = IOTestBuffer(byteCount: length * count)
        for index in 0..<count {
            PayloadGenerator.fill(
                UnsafeMutableRawBufferPointer(start: sources.pointer + index * length, count: length),
                key: BlockKey(traceID: UInt64(index)), kind: index % 3 == 0 ? .random : .bf16)
        }
        var results: [DiskEncodeResult] = []
        var submitted = 0
        var outstanding = 0
        while results.count < count {
            let behind = pool.isBehind
            // Behind means every slot is queued or running: at least that many submitted
            // encodes are not taken yet (finished ones wait untaken and hold no slot).
            if behind { #expect(outstanding >= 2 * ThreadedDiskEncoder.slotsPerThread) }
            if submitted < count, !behind {
                pool.submit(
                    DiskEncodeWork(
                        tag: Int32(submitted), codec: .lz4Shuffle2,
                        source: sources.pointer + submitted * length,
                        destination: outputs.pointer + submitted * length, rawLength: length,
                        capacity: length * 9 / 10))
                submitted += 1
                outstanding += 1
            } else {
                let before = results.count
                pool.waitFinished(into: &results)
                #expect(results.count > before)
                outstanding -= results.count - before
            }
        }
        #expect(Set(results.map(\.tag)).count == count)
        let scratch = IOTestBuffer(byteCount: length)
        let decoded = IOTestBuffer(byteCount: length)
        for result in results {
            let index = Int(result.tag)
            let stored = UnsafeRawBufferPointer(
                start: outputs.pointer + index * length, count: result.storedLength)
            #expect(CRC32C.checksum(stored) == result.payloadCRC)
            #expect((result.codec == .none) == (index % 3 == 0), "block \(index): \(result.codec)")
            #expect(
                result.codec.decodePayload(
                    stored.baseAddress!, storedLength: result.storedLength,
                    into: decoded.pointer, rawLength: length, scratch: scratch.pointer))
            #expect(
                memcmp(decoded.pointer, sources.pointer + index * length, length) == 0,
                "block \(index) decodes to other bytes")
        }
    }

    @Test("a tier over io_uring with 2 encode threads: every row byte-exact, also after reopen")
    func tierWithPool() throws {
        let directory = ScratchDirectory(under: "/tmp")
        let length = 65536
        let count = 256
        let kinds: [PayloadKind] = [.bf16, .random, .zeros]
        func kind(_ index: Int) -> PayloadKind { kinds[index % kinds.count] }
        let options = DiskTierOptions(
            capacityBytes: 64 << 20, blockByteCountMax: length, codec: .lz4Shuffle2,
            jobCountMax: 32, reservedBlockCount: count)
        do {
            let tier = try DiskTierFactory.open(
                directory: directory.path, options: options, queueDepth: 32, encoderThreads: 2)
            #expect(tier.encoderThreadCount == 2)
            let completions = try DiskStoreWorkload.storeAll(
                tier, count: count, length: length, depth: 32, kind: kind)
            for completion in completions {
                #expect(completion.outcome == .store(.stored), "\(completion)")
            }
            tier.checkInvariants()
            let stats = tier.stats
            #expect(stats.blocksEncoded + stats.blocksStoredRawBackpressure == count, "\(stats)")
            #expect(stats.blocksCompressed <= stats.blocksEncoded)
            #expect(tier.inspect().blocksByCodec[.lz4Shuffle2] == stats.blocksCompressed)
            try tier.close()
        }
        let tier = try DiskTierFactory.open(
            directory: directory.path, options: DiskTierOptions(blockByteCountMax: length),
            queueDepth: 32)
        let sink = IOTestBuffer(byteCount: length)
        for index in 0..<count {
            let key = BlockKey(traceID: UInt64(index))
            let outcome = try tier.load(
                key: key, into: UnsafeMutableRawBufferPointer(start: sink.pointer, count: length))
            #expect(outcome == .loaded(byteCount: length), "block \(index): \(outcome)")
            #expect(
                PayloadGenerator.matches(
                    UnsafeRawBufferPointer(start: sink.pointer, count: length), key: key,
                    kind: kind(index)), "block \(index) came back different")
        }
        try tier.close()
    }
}
