// Checking a row against its deterministic payload without writing the payload out first:
// the random kind is generated and compared word by word in one pass.

extension PayloadGenerator {
    /// Whether `buffer` holds exactly the payload of `key` for its length (what `fill`
    /// writes). `.random` rows are compared as the stream is generated (one pass over the
    /// row, nothing written); other kinds are filled into `scratch` (at least `buffer.count`
    /// bytes) and compared.
    package static func verify(
        _ buffer: UnsafeRawBufferPointer, key: BlockKey, kind: PayloadKind,
        scratch: UnsafeMutableRawPointer
    ) -> Bool {
        guard case .random = kind, let base = buffer.baseAddress else {
            let expected = UnsafeMutableRawBufferPointer(start: scratch, count: buffer.count)
            fill(expected, key: key, kind: kind)
            return bytesEqual(UnsafeRawBufferPointer(expected), buffer)
        }
        let count = buffer.count
        var rng = SplitMix64(seed: seed(key: key, length: count, kind: kind))
        let wordCount = count / 8
        var index = 0
        // Four words per step, differences OR-ed, one branch.
        while index + 4 <= wordCount {
            let offset = index &* 8
            let a = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) ^ rng.next()
            let b = base.loadUnaligned(fromByteOffset: offset &+ 8, as: UInt64.self) ^ rng.next()
            let c = base.loadUnaligned(fromByteOffset: offset &+ 16, as: UInt64.self) ^ rng.next()
            let d = base.loadUnaligned(fromByteOffset: offset &+ 24, as: UInt64.self) ^ rng.next()
            if (a | b | c | d) != 0 { return false }
            index &+= 4
        }
        while index < wordCount {
            if base.loadUnaligned(fromByteOffset: index &* 8, as: UInt64.self) != rng.next() {
                return false
            }
            index &+= 1
        }
        // The tail (count not a multiple of 8) comes from one more word, as in `fill`.
        let tail = count - wordCount * 8
        guard tail > 0 else { return true }
        let last = rng.next()
        for byteIndex in 0..<tail
        where base.load(fromByteOffset: wordCount * 8 + byteIndex, as: UInt8.self)
            != UInt8(truncatingIfNeeded: last >> (8 * UInt64(byteIndex)))
        {
            return false
        }
        return true
    }
}
