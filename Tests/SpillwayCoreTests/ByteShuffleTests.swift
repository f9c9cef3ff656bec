// The 2-byte shuffle filter (SSE2 in CSpillwayCompute) against a plain Swift reference.
import CSpillwayCompute
import SpillwayCore
import Testing

@Suite struct ByteShuffleTests {
    @Test(
        "spw_shuffle / spw_unshuffle with 2-byte elements match the plain loop and invert",
        arguments: [0, 2, 30, 32, 34, 64, 1000, 4098, 262_144])
    func shuffleTwo(length: Int) {
        let seed: UInt64 = 0x5A0F_F1E ^ UInt64(length)
        var rng = SplitMix64(seed: seed)
        let source = (0..<(length + 1)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let count = length / 2
        var expected = [UInt8](repeating: 0, count: length)
        for i in 0..<count {
            expected[i] = source[1 + 2 * i]
            expected[count + i] = source[1 + 2 * i + 1]
        }
        var shuffled = [UInt8](repeating: 0, count: length + 1)
        var restored = [UInt8](repeating: 0, count: length + 1)
        source.withUnsafeBytes { src in
            shuffled.withUnsafeMutableBytes { out in
                // Odd source address: the SIMD path must not assume alignment.
                spw_shuffle(src.baseAddress! + 1, out.baseAddress!, length, 2)
            }
        }
        #expect(Array(shuffled[0..<length]) == expected, "length \(length) seed \(seed)")
        shuffled.withUnsafeBytes { src in
            restored.withUnsafeMutableBytes { out in
                spw_unshuffle(src.baseAddress!, out.baseAddress! + 1, length, 2)
            }
        }
        #expect(
            Array(restored[1..<(1 + length)]) == Array(source[1..<(1 + length)]),
            "round trip, length \(length) seed \(seed)")
        #expect(restored[0] == 0, "unshuffle wrote before its destination")
    }
}
