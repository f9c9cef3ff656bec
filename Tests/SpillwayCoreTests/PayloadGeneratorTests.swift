// Deterministic payloads: a pure function of (key, length, kind), with the statistics each
// kind promises.
import SpillwayCore
import Testing

@Suite("PayloadGenerator")
struct PayloadGeneratorTests {
    func payload(_ key: UInt64, _ length: Int, _ kind: PayloadKind) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: length)
        bytes.withUnsafeMutableBytes {
            PayloadGenerator.fill($0, key: BlockKey(traceID: key), kind: kind)
        }
        return bytes
    }

    @Test("same (key, length, kind) gives the same bytes; any change gives other bytes")
    func determinism() {
        for kind in [PayloadKind.random, .bf16, .mixed(compressibleFraction: 0.5)] {
            #expect(payload(1, 1000, kind) == payload(1, 1000, kind))
            #expect(payload(1, 1000, kind) != payload(2, 1000, kind))
            #expect(Array(payload(1, 1000, kind).prefix(999)) != payload(1, 999, kind))
        }
        #expect(payload(1, 1000, .random) != payload(1, 1000, .bf16))
        #expect(payload(5, 333, .zeros).allSatisfy { $0 == 0 })
        #expect(payload(5, 7, .random).count == 7)
    }

    @Test("bf16 values follow a standard normal distribution")
    func bf16Statistics() {
        let bytes = payload(9, 1 << 16, .bf16)
        var sum = 0.0
        var squares = 0.0
        let count = bytes.count / 2
        for index in 0..<count {
            let bits = UInt32(bytes[2 * index]) | UInt32(bytes[2 * index + 1]) << 8
            let value = Double(Float(bitPattern: bits << 16))
            #expect(value.isFinite)
            sum += value
            squares += value * value
        }
        let mean = sum / Double(count)
        let variance = squares / Double(count) - mean * mean
        #expect(abs(mean) < 0.05, "mean \(mean)")
        #expect(abs(variance - 1) < 0.1, "variance \(variance)")
    }

    @Test(
        "mixed replaces about the requested fraction with zero runs",
        arguments: [0.0, 0.25, 0.75, 1.0])
    func mixedFraction(fraction: Double) {
        let bytes = payload(3, 1 << 18, .mixed(compressibleFraction: fraction))
        let zeroSegments = stride(from: 0, to: bytes.count, by: 256).filter { start in
            bytes[start..<start + 256].allSatisfy { $0 == 0 }
        }.count
        let measured = Double(zeroSegments) / Double(bytes.count / 256)
        #expect(abs(measured - fraction) < 0.05, "fraction \(fraction) measured \(measured)")
    }

    @Test("payload kinds parse from their CLI names")
    func parsing() {
        #expect(PayloadKind(parsing: "bf16") == .bf16)
        #expect(PayloadKind(parsing: "mixed") == .mixed(compressibleFraction: 0.5))
        #expect(PayloadKind(parsing: "mixed:0.2") == .mixed(compressibleFraction: 0.2))
        #expect(PayloadKind(parsing: "mixed:2") == nil)
        #expect(PayloadKind(parsing: "nope") == nil)
    }
}
