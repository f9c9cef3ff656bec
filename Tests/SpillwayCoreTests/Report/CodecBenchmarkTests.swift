// The codec benchmark goes through the disk tier's codec code: ratios per payload kind are
// what the payloads imply, and every block round-trips (measure traps otherwise).
import SpillwayCore
import Testing
@testable import SpillwayTools

@Suite struct CodecBenchmarkTests {
    /// Setup: 4 blocks of 16 KiB per kind, each codec, one pass. Checks: none stores raw
    /// (ratio 1); zeros compress > 50x; random does not shrink; byte-shuffled LZ4 beats plain
    /// LZ4 on bf16 (the exponent bytes); mixed lands in between; speeds are positive.
    @Test func ratiosFollowThePayloads() {
        let report = CodecBenchmark.run(
            kinds: [.zeros, .random, .bf16, .mixed(compressibleFraction: 0.5)],
            codecs: [.none, .lz4, .lz4Shuffle2], blockBytes: 16 << 10, blocks: 4, passes: 1)
        #expect(report.results.count == 12)
        func ratio(_ payload: String, _ codec: String) -> Double {
            report.results.first { $0.payload == payload && $0.codec == codec }!.ratio
        }
        for payload in ["zeros", "random", "bf16", "mixed"] { #expect(ratio(payload, "none") == 1) }
        #expect(ratio("zeros", "lz4") > 50)
        #expect(ratio("random", "lz4") <= 1.0)
        #expect(ratio("bf16", "lz4-shuffle") > ratio("bf16", "lz4") + 0.05)
        #expect(ratio("mixed", "lz4") > 1.3 && ratio("mixed", "lz4") < 3)
        for result in report.results {
            #expect(result.rawBytes == 64 << 10)
            #expect(result.compressBytesPerSecond > 0 && result.decompressBytesPerSecond > 0)
        }
    }

    /// Setup: two bf16 blocks of 4097 bytes (odd: the shuffle transposes 2-byte elements and
    /// must carry the last byte alone), each with a marker last byte. Checks: the shuffled
    /// codec compresses each block (so the shuffle path ran, not the raw fallback) and decodes
    /// it to exactly the input bytes, last byte included; the benchmark over the same payload
    /// counts both blocks and stores less than it read.
    @Test func oddLengthRoundTrips() {
        let blockBytes = 4097
        var payload = CodecBenchmark.payload(kind: .bf16, blockBytes: blockBytes, blocks: 2)
        payload[blockBytes - 1] = 0xA5
        payload[2 * blockBytes - 1] = 0x5A
        let bound = DiskCodec.encodedBound(rawLength: blockBytes)
        var encoded = [UInt8](repeating: 0, count: bound)
        var decoded = [UInt8](repeating: 0, count: blockBytes)
        var scratch = [UInt8](repeating: 0, count: blockBytes)
        /// Runs `body` on the base addresses of `input`, `output` and the scratch buffer.
        func withBases<R>(
            _ input: [UInt8], _ output: inout [UInt8],
            _ body: (UnsafeRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> R
        ) -> R {
            input.withUnsafeBytes { i in
                output.withUnsafeMutableBytes { o in
                    scratch.withUnsafeMutableBytes {
                        body(i.baseAddress!, o.baseAddress!, $0.baseAddress!)
                    }
                }
            }
        }
        for block in 0..<2 {
            let source = Array(payload[block * blockBytes..<(block + 1) * blockBytes])
            let length = withBases(source, &encoded) {
                DiskCodec.lz4Shuffle2.encodePayload(
                    $0, rawLength: blockBytes, into: $1, capacity: bound, scratch: $2)
            }
            #expect(length > 0 && length < blockBytes, "block \(block) stored \(length) bytes")
            decoded = [UInt8](repeating: 0, count: blockBytes)
            let ok = withBases(encoded, &decoded) {
                DiskCodec.lz4Shuffle2.decodePayload(
                    $0, storedLength: length, into: $1, rawLength: blockBytes, scratch: $2)
            }
            #expect(ok, "block \(block) did not decode")
            #expect(decoded.last == source.last, "block \(block) lost its last byte")
            #expect(decoded == source, "block \(block) decoded to other bytes")
        }
        let result = CodecBenchmark.measure(
            payload: payload, payloadName: "bf16", codec: .lz4Shuffle2, blockBytes: blockBytes,
            passes: 1)
        #expect(result.rawBytes == 8194)
        #expect(result.storedBytes < result.rawBytes)
    }
}
