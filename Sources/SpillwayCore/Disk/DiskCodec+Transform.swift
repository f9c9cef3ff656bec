// The disk tier's payload transforms (2-byte shuffle, LZ4, and back): one implementation
// used by DiskTier's store and load paths and by `spillway bench codec`.
import CSpillwayCompute

extension DiskCodec {
    /// Encodes `rawLength` bytes at `source` into `destination`, writing at most `capacity`
    /// bytes, and returns the encoded length; 0 when the output did not fit in `capacity`
    /// (the caller then stores the bytes raw) or when `self` is `.none` (nothing to encode).
    /// `scratch` must hold `rawLength` bytes (the shuffle's output).
    @inline(__always)
    package func encodePayload(
        _ source: UnsafeRawPointer, rawLength: Int, into destination: UnsafeMutableRawPointer,
        capacity: Int, scratch: UnsafeMutableRawPointer
    ) -> Int {
        guard self != .none, rawLength > 0, capacity > 0 else { return 0 }
        var input = source
        if self == .lz4Shuffle2 {
            Self.shuffle(source, into: scratch, rawLength: rawLength, inverse: false)
            input = UnsafeRawPointer(scratch)
        }
        // LZ4 returns 0 when the output does not fit: exactly the "did not shrink enough"
        // test, at no extra cost.
        return Int(spw_lz4_compress(input, destination, Int32(rawLength), Int32(capacity), 1))
    }

    /// Decodes `storedLength` bytes at `payload` (written by `encode`, or raw for `.none`)
    /// into exactly `rawLength` bytes at `destination`. Returns false when the payload is
    /// malformed or does not decode to `rawLength` bytes. `scratch` must hold `rawLength`
    /// bytes (used by the shuffled codec).
    @inline(__always)
    package func decodePayload(
        _ payload: UnsafeRawPointer, storedLength: Int, into destination: UnsafeMutableRawPointer,
        rawLength: Int, scratch: UnsafeMutableRawPointer
    ) -> Bool {
        switch self {
        case .none:
            guard storedLength == rawLength else { return false }
            if rawLength > 0 { destination.copyMemory(from: payload, byteCount: rawLength) }
            return true
        case .lz4:
            let decoded = spw_lz4_decompress(
                payload, destination, Int32(storedLength), Int32(rawLength))
            return Int(decoded) == rawLength
        case .lz4Shuffle2:
            let decoded = spw_lz4_decompress(
                payload, scratch, Int32(storedLength), Int32(rawLength))
            guard Int(decoded) == rawLength else { return false }
            Self.shuffle(scratch, into: destination, rawLength: rawLength, inverse: true)
            return true
        }
    }

    /// The 2-byte shuffle of `lz4Shuffle2` (all low bytes, then all high bytes), or with
    /// `inverse` its undoing: `rawLength` bytes from `source` into `destination` (an odd
    /// last byte is copied as it is).
    @inline(__always)
    static func shuffle(
        _ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer, rawLength: Int,
        inverse: Bool
    ) {
        let even = rawLength & ~1
        if inverse {
            spw_unshuffle(source, destination, even, 2)
        } else {
            spw_shuffle(source, destination, even, 2)
        }
        if even < rawLength {
            destination.storeBytes(
                of: source.load(fromByteOffset: even, as: UInt8.self), toByteOffset: even,
                as: UInt8.self)
        }
    }

    /// Upper bound of `encode`'s output for `rawLength` bytes (LZ4's compress bound).
    package static func encodedBound(rawLength: Int) -> Int { Int(spw_lz4_bound(Int32(rawLength))) }
}
