import SpillwayCore
// CRC32C against the published check value and a bitwise reference.
import Testing

@Suite struct CRC32CTests {
    @Test func checkValue() {
        // The standard check: CRC32C("123456789") = 0xE3069283.
        let bytes = Array("123456789".utf8)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        #expect(crc == 0xE306_9283)
    }

    @Test func matchesBitwiseReferenceAndChains() {
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 63, 64, 65, 1000, 4096 + 3] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var ref: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                ref ^= UInt32(b)
                for _ in 0..<8 { ref = (ref & 1) != 0 ? (ref >> 1) ^ 0x82F6_3B78 : ref >> 1 }
            }
            ref = ~ref
            let whole = bytes.withUnsafeBytes { CRC32C.checksum($0) }
            #expect(whole == ref, "length \(length)")
            let split = length / 3
            let chained = bytes.withUnsafeBytes { all in
                CRC32C.checksum(
                    UnsafeRawBufferPointer(rebasing: all[split...]),
                    seed: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[..<split])))
            }
            #expect(chained == ref, "chained, length \(length)")
        }
    }

    /// Bitwise CRC32C, the plain reference.
    static func reference(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test(
        "three-stream CRC and fused copy + CRC match the reference around the stream split",
        arguments: [3071, 3072, 3073, 3 * 1024 + 64, 3 * 1024 + 65, 9000, 65536, 262_144 + 7])
    func threeStreamsAndCopy(length: Int) {
        let seed: UInt64 = 0x5EED_0000 ^ UInt64(length)
        var rng = SplitMix64(seed: seed)
        // Unaligned source and destination offsets, a guard byte after the destination.
        let source = (0..<(length + 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var destination = [UInt8](repeating: 0xA5, count: length + 2)
        for offset in 0..<3 {
            source.withUnsafeBytes { all in
                let bytes = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                let expected = Self.reference(bytes)
                #expect(
                    CRC32C.checksum(bytes) == expected,
                    "length \(length) offset \(offset) seed \(seed)")
                let chainSeed = Self.reference(UnsafeRawBufferPointer(rebasing: all[0..<1]))
                #expect(
                    CRC32C.checksum(bytes, seed: chainSeed)
                        == Self.reference(bytes, seed: chainSeed),
                    "chained, length \(length) offset \(offset) seed \(seed)")
                destination.withUnsafeMutableBytes { out in
                    let copied = CRC32C.copyAndChecksum(from: bytes, to: out.baseAddress! + 1)
                    #expect(
                        copied == expected, "copy, length \(length) offset \(offset) seed \(seed)")
                    #expect(
                        UnsafeRawBufferPointer(rebasing: out[1..<(1 + length)]).elementsEqual(
                            bytes),
                        "copied bytes, length \(length) offset \(offset) seed \(seed)")
                    #expect(out[0] == 0xA5 && out[length + 1] == 0xA5, "wrote outside the copy")
                }
            }
        }
    }
}
