// `PayloadGenerator.verify` (the one-pass check data-mode promotions use) against the plain
// reference: fill the expected payload, compare byte for byte; on intact rows and on rows
// with one byte changed at seeded positions.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("Payload verify")
struct PayloadVerifyTests {
    static func reference(_ row: UnsafeRawBufferPointer, key: BlockKey, kind: PayloadKind) -> Bool {
        let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: max(row.count, 1), alignment: 16)
        defer { expected.deallocate() }
        let slice = UnsafeMutableRawBufferPointer(rebasing: expected[0..<row.count])
        PayloadGenerator.fill(slice, key: key, kind: kind)
        return zip(slice, row).allSatisfy { $0 == $1 }
    }

    @Test("agrees with fill + compare on intact and altered rows of every kind and length")
    func agreesWithReference() {
        let seed: UInt64 = 2026
        print("PayloadVerifyTests seed \(seed)")
        var rng = SplitMix64(seed: seed)
        let kinds: [PayloadKind] = [.random, .bf16, .zeros, .mixed(compressibleFraction: 0.5)]
        let lengths = [0, 1, 7, 8, 9, 31, 32, 33, 4096, 4099, 65536 + 5]
        let row = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536 + 16, alignment: 64)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 65536 + 16, alignment: 64)
        defer {
            row.deallocate()
            scratch.deallocate()
        }
        var altered = 0
        for kind in kinds {
            for length in lengths {
                let key = BlockKey(traceID: rng.next())
                let bytes = UnsafeMutableRawBufferPointer(rebasing: row[0..<length])
                PayloadGenerator.fill(bytes, key: key, kind: kind)
                let context = "seed \(seed) \(kind) length \(length)"
                #expect(PayloadGenerator.verify(UnsafeRawBufferPointer(bytes), key: key, kind: kind, scratch: scratch), "\(context)")
                // Another key's payload is not this one's (unless there is nothing to differ).
                let other = BlockKey(traceID: rng.next())
                #expect(
                    PayloadGenerator.verify(UnsafeRawBufferPointer(bytes), key: other, kind: kind, scratch: scratch)
                        == Self.reference(UnsafeRawBufferPointer(bytes), key: other, kind: kind), "\(context)")
                guard length > 0 else { continue }
                // One byte changed: at the start, the end (the tail) and seeded places.
                for position in [0, length - 1, Int(rng.next() % UInt64(length)), Int(rng.next() % UInt64(length))] {
                    bytes[position] ^= UInt8(1 + rng.next() % 255)
                    let got = PayloadGenerator.verify(UnsafeRawBufferPointer(bytes), key: key, kind: kind, scratch: scratch)
                    #expect(!got, "\(context): byte \(position) changed, still verified")
                    #expect(got == Self.reference(UnsafeRawBufferPointer(bytes), key: key, kind: kind))
                    PayloadGenerator.fill(bytes, key: key, kind: kind)
                    altered += 1
                }
            }
        }
        #expect(altered > 100)
    }
}
