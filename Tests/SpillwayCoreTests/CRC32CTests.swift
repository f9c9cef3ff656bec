// CRC32C against the published check value and a bitwise reference.
import Testing
import SpillwayCore

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
}
