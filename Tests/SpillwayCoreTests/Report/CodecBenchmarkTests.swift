// The codec benchmark goes through the disk tier's codec code: ratios per payload kind are
// what the payloads imply, and every block round-trips (measure traps otherwise).
import SpillwayCore
import Testing

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

    /// Odd lengths keep their last byte through the shuffled codec (the tier's tail rule).
    @Test func oddLengthRoundTrips() {
        let payload = CodecBenchmark.payload(kind: .bf16, blockBytes: 4097, blocks: 2)
        let result = CodecBenchmark.measure(
            payload: payload, payloadName: "bf16", codec: .lz4Shuffle2, blockBytes: 4097, passes: 1)
        #expect(result.rawBytes == 8194)
    }
}
