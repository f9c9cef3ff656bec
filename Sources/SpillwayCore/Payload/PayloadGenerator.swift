// Deterministic block payloads: the bytes written for a block are a pure function of
// (key, length, kind), so a replay or `disk verify --pattern` can recompute and compare them.

/// Fills buffers with the deterministic payload of a block.
///
/// The stream is SplitMix64 seeded by a hash of the key bytes, the length and the kind, and
/// written eight bytes at a time. `bf16` maps each 16 random bits through a precomputed
/// table of standard-normal quantiles rounded to bf16, so it costs one table lookup per
/// element.
package enum PayloadGenerator {
    /// The seed of a block's stream.
    @inlinable
    package static func seed(key: BlockKey, length: Int, kind: PayloadKind) -> UInt64 {
        // FNV-1a over the key bytes, then mixed with the length and kind through one
        // SplitMix step so nearby keys get unrelated streams.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        key.withUnsafeBytes { bytes in
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        var mixer = SplitMix64(
            seed: hash ^ (UInt64(length) &* 0x9E37_79B9_7F4A_7C15) ^ kind.seedTag)
        return mixer.next()
    }

    /// Fills `buffer` with the payload of `key` for a block of `buffer.count` bytes.
    package static func fill(
        _ buffer: UnsafeMutableRawBufferPointer, key: BlockKey, kind: PayloadKind
    ) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var rng = SplitMix64(seed: seed(key: key, length: buffer.count, kind: kind))
        let count = buffer.count
        let wordCount = count / 8
        switch kind {
        case .zeros:
            base.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            return
        case .random:
            for index in 0..<wordCount {
                base.storeBytes(of: rng.next(), toByteOffset: index &* 8, as: UInt64.self)
            }
        case .bf16:
            let table = normalBF16Table
            table.withUnsafeBufferPointer { table in
                for index in 0..<wordCount {
                    let bits = rng.next()
                    let word =
                        UInt64(table[Int(bits & 0xFFFF)])
                        | UInt64(table[Int((bits >> 16) & 0xFFFF)]) << 16
                        | UInt64(table[Int((bits >> 32) & 0xFFFF)]) << 32
                        | UInt64(table[Int(bits >> 48)]) << 48
                    base.storeBytes(
                        of: word.littleEndian, toByteOffset: index &* 8, as: UInt64.self)
                }
            }
        case .mixed(let fraction):
            // One decision per 256-byte segment; the threshold compares 32 random bits.
            let threshold = UInt64(max(0, min(1, fraction)) * 4_294_967_296.0)
            var index = 0
            while index < wordCount {
                let segmentEnd = min(wordCount, index + 32)
                let compressible = (rng.next() >> 32) < threshold
                if compressible {
                    (base + index &* 8).initializeMemory(
                        as: UInt8.self, repeating: 0, count: (segmentEnd - index) * 8)
                    index = segmentEnd
                } else {
                    while index < segmentEnd {
                        base.storeBytes(of: rng.next(), toByteOffset: index &* 8, as: UInt64.self)
                        index += 1
                    }
                }
            }
        }
        // The tail (count not a multiple of 8) from one more word, in every kind.
        let tail = count - wordCount * 8
        if tail > 0 {
            var last = rng.next()
            if case .zeros = kind { last = 0 }
            for byteIndex in 0..<tail {
                base.storeBytes(
                    of: UInt8(truncatingIfNeeded: last >> (8 * UInt64(byteIndex))),
                    toByteOffset: wordCount * 8 + byteIndex, as: UInt8.self)
            }
        }
    }

    /// Whether `buffer` holds exactly the payload of `key` for its length. Allocates a
    /// scratch copy; for verification, not the hot path.
    package static func matches(_ buffer: UnsafeRawBufferPointer, key: BlockKey, kind: PayloadKind)
        -> Bool
    {
        let expected = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(buffer.count, 1), alignment: 16)
        defer { expected.deallocate() }
        let slice = UnsafeMutableRawBufferPointer(rebasing: expected[0..<buffer.count])
        fill(slice, key: key, kind: kind)
        return bytesEqual(UnsafeRawBufferPointer(slice), buffer)
    }

    /// Byte equality, eight bytes at a time.
    package static func bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        var index = 0
        while index + 8 <= a.count {
            if pa.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                != pb.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            {
                return false
            }
            index += 8
        }
        while index < a.count {
            if pa.load(fromByteOffset: index, as: UInt8.self)
                != pb.load(fromByteOffset: index, as: UInt8.self)
            {
                return false
            }
            index += 1
        }
        return true
    }

    /// 65536 bf16 values: entry i is the standard-normal quantile at (i + 0.5) / 65536,
    /// truncated to bf16 (the top 16 bits of the float32).
    static let normalBF16Table: [UInt16] = (0..<65536).map { index in
        let probability = (Double(index) + 0.5) / 65536.0
        let value = Float(inverseNormalCDF(probability))
        return UInt16(truncatingIfNeeded: value.bitPattern >> 16)
    }

    static let acklamA: [Double] = [
        -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
        1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    static let acklamB: [Double] = [
        -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
        6.680131188771972e+01, -1.328068155288572e+01,
    ]
    static let acklamC: [Double] = [
        -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
        -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
    ]
    static let acklamD: [Double] = [
        7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
        3.754408661907416e+00,
    ]

    /// Acklam's rational approximation of the inverse standard-normal CDF (relative error
    /// below 1.2e-9, far finer than bf16's 8-bit mantissa).
    static func inverseNormalCDF(_ p: Double) -> Double {
        let (a, b, c, d) = (acklamA, acklamB, acklamC, acklamD)
        let low = 0.02425
        if p < low {
            let q = (-2 * naturalLog(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low {
            let q = (-2 * naturalLog(1 - p)).squareRoot()
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// Natural logarithm without importing Glibc (the core layer stays libc-free):
    /// x = s * 2^e with s in [1, 2), ln x = e ln 2 + 2 atanh((s - 1) / (s + 1)), the series
    /// converging fast because the argument is at most 1/3.
    static func naturalLog(_ x: Double) -> Double {
        precondition(x > 0, "naturalLog of a non-positive number")
        let exponent = Double(x.exponent)
        let significand = x.significand
        let t = (significand - 1) / (significand + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        var k = 1.0
        while k < 60 {
            sum += term / k
            term *= t2
            k += 2
        }
        return exponent * 0.693_147_180_559_945_3 + 2 * sum
    }
}
