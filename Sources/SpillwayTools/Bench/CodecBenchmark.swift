// Measures the disk tier's payload codecs (none, LZ4, shuffled LZ4) on generated payloads:
// compress and decompress speed and ratio, through DiskCodec.encodePayload/decodePayload.
import Spillway
import SpillwayCore
import SpillwaySystem
import CSpillwayCompute

/// Codec benchmark (docs/BENCHMARKS.md: compare with `lz4 -b1` on the same bytes; see
/// scripts/bench-codec.sh).
package enum CodecBenchmark {
    /// One (payload kind, codec) measurement.
    package struct Result: Sendable, Codable, Equatable {
        package var payload: String
        package var codec: String
        package var rawBytes: Int
        /// Bytes after encoding (LZ4 output, or raw for `none`), summed over blocks.
        package var storedBytes: Int
        /// rawBytes / storedBytes.
        package var ratio: Double
        /// Raw bytes encoded per second, best pass.
        package var compressBytesPerSecond: Double
        /// Raw bytes decoded per second, best pass.
        package var decompressBytesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case payload, codec, ratio
            case rawBytes = "raw_bytes"
            case storedBytes = "stored_bytes"
            case compressBytesPerSecond = "compress_bytes_per_second"
            case decompressBytesPerSecond = "decompress_bytes_per_second"
        }
    }

    /// The whole run.
    package struct Report: Sendable, Codable, Equatable {
        package var blockBytes: Int
        package var blocks: Int
        package var passes: Int
        package var results: [Result]

        enum CodingKeys: String, CodingKey {
            case blockBytes = "block_bytes"
            case blocks, passes, results
        }
    }

    /// The payload of the benchmark for `kind`: `blocks` blocks of `blockBytes`, block i the
    /// deterministic payload of key `BlockKey(traceID: i)`, concatenated.
    package static func payload(kind: PayloadKind, blockBytes: Int, blocks: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: blockBytes * blocks)
        bytes.withUnsafeMutableBytes { buffer in
            for block in 0..<blocks {
                PayloadGenerator.fill(
                    UnsafeMutableRawBufferPointer(
                        rebasing: buffer[(block * blockBytes)..<((block + 1) * blockBytes)]),
                    key: BlockKey(traceID: UInt64(block)), kind: kind)
            }
        }
        return bytes
    }

    /// `payload` with every `blockBytes` block byte-shuffled as `lz4-shuffle` does before
    /// LZ4 (2-byte elements; an odd last byte stays in place): what `lz4 -b1` must be given
    /// to compare with the shuffled codec.
    package static func shuffled(_ payload: [UInt8], blockBytes: Int) -> [UInt8] {
        precondition(blockBytes > 0 && payload.count % blockBytes == 0)
        var out = payload
        payload.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                for start in stride(from: 0, to: payload.count, by: blockBytes) {
                    spw_shuffle(
                        source.baseAddress! + start, target.baseAddress! + start, blockBytes & ~1, 2
                    )
                }
            }
        }
        return out
    }

    /// Encodes then decodes every block of `payload` with `codec`, `passes` times, and
    /// reports the best pass of each direction. Traps if a block does not decode to its
    /// original bytes (a codec bug).
    package static func measure(
        payload: [UInt8], payloadName: String, codec: DiskCodec, blockBytes: Int, passes: Int
    ) -> Result {
        precondition(blockBytes > 0 && payload.count % blockBytes == 0 && passes >= 1)
        let blocks = payload.count / blockBytes
        let bound = DiskCodec.encodedBound(rawLength: blockBytes)
        let encoded = UnsafeMutableRawPointer.allocate(
            byteCount: bound * max(blocks, 1), alignment: 64)
        let decoded = UnsafeMutableRawPointer.allocate(
            byteCount: max(payload.count, 1), alignment: 64)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 64)
        defer {
            encoded.deallocate()
            decoded.deallocate()
            scratch.deallocate()
        }
        // Fault the output pages in before timing.
        encoded.initializeMemory(as: UInt8.self, repeating: 0, count: bound * max(blocks, 1))
        decoded.initializeMemory(as: UInt8.self, repeating: 0, count: max(payload.count, 1))
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: blockBytes)
        var storedLengths = [Int](repeating: 0, count: blocks)
        var storedCodecs = Array(repeating: codec, count: blocks)
        let clock = ContinuousClock()
        var bestEncode = Duration.seconds(1_000_000)
        var bestDecode = Duration.seconds(1_000_000)
        payload.withUnsafeBytes { source in
            let base = source.baseAddress!
            for _ in 0..<passes {
                let start = clock.now
                for block in 0..<blocks {
                    let input = base + block * blockBytes
                    let output = encoded + block * bound
                    var length = codec.encodePayload(
                        input, rawLength: blockBytes, into: output, capacity: bound,
                        scratch: scratch)
                    if length == 0 {
                        // `none` (or LZ4 refusing, impossible at the bound): stored raw, as the tier does.
                        output.copyMemory(from: input, byteCount: blockBytes)
                        length = blockBytes
                        storedCodecs[block] = .none
                    }
                    storedLengths[block] = length
                }
                bestEncode = min(bestEncode, clock.now - start)
            }
            for _ in 0..<passes {
                let start = clock.now
                for block in 0..<blocks {
                    let stored = storedLengths[block]
                    let ok = storedCodecs[block].decodePayload(
                        encoded + block * bound, storedLength: stored,
                        into: decoded + block * blockBytes,
                        rawLength: blockBytes, scratch: scratch)
                    precondition(ok, "block \(block) did not decode (\(codec), \(payloadName))")
                }
                bestDecode = min(bestDecode, clock.now - start)
            }
            precondition(
                memcmpEqual(base, UnsafeRawPointer(decoded), count: payload.count),
                "decoded bytes differ from the payload (\(codec), \(payloadName))")
        }
        let stored = storedLengths.reduce(0, +)
        return Result(
            payload: payloadName, codec: codec.description, rawBytes: payload.count,
            storedBytes: stored, ratio: stored > 0 ? Double(payload.count) / Double(stored) : 0,
            compressBytesPerSecond: rate(payload.count, bestEncode),
            decompressBytesPerSecond: rate(payload.count, bestDecode))
    }

    /// Every (kind, codec) pair, kinds outer.
    package static func run(
        kinds: [PayloadKind], codecs: [DiskCodec], blockBytes: Int, blocks: Int, passes: Int
    ) -> Report {
        var results: [Result] = []
        for kind in kinds {
            let bytes = payload(kind: kind, blockBytes: blockBytes, blocks: blocks)
            for codec in codecs {
                results.append(
                    measure(
                        payload: bytes, payloadName: kind.description, codec: codec,
                        blockBytes: blockBytes,
                        passes: passes))
            }
        }
        return Report(blockBytes: blockBytes, blocks: blocks, passes: passes, results: results)
    }

    static func rate(_ bytes: Int, _ duration: Duration) -> Double {
        let seconds =
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds > 0 ? Double(bytes) / seconds : 0
    }

    static func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
        PayloadGenerator.bytesEqual(
            UnsafeRawBufferPointer(start: a, count: count),
            UnsafeRawBufferPointer(start: b, count: count))
    }
}
