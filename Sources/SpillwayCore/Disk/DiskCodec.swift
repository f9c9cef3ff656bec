// Per-block codecs of the disk tier: none, LZ4, or LZ4 after a 2-byte shuffle.

/// How a block's payload is encoded on disk. The raw value is the codec byte of the record
/// header and of checkpoint entries, so it must never be renumbered.
public enum DiskCodec: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Stored as given.
    case none = 0
    /// LZ4 block format (liblz4, fast mode).
    case lz4 = 1
    /// Byte shuffle with 2-byte elements (fp16/bf16: all low bytes, then all high bytes),
    /// then LZ4. The shuffle groups the exponent bytes, which is where bf16 compresses.
    case lz4Shuffle2 = 2

    /// The element size of the shuffle, or 1 for none.
    var shuffleElementSize: Int { self == .lz4Shuffle2 ? 2 : 1 }

    public var description: String {
        switch self {
        case .none: return "none"
        case .lz4: return "lz4"
        case .lz4Shuffle2: return "lz4-shuffle"
        }
    }

    /// Parses `none`, `lz4`, `lz4-shuffle`.
    public init?(parsing text: String) {
        switch text {
        case "none": self = .none
        case "lz4": self = .lz4
        case "lz4-shuffle", "lz4shuffle", "lz4-shuffle2": self = .lz4Shuffle2
        default: return nil
        }
    }
}
