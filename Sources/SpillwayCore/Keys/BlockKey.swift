// A block key: up to 64 opaque bytes stored inline (vLLM uses a block hash followed by a
// 4-byte big-endian group index), so keys never allocate.

/// An inline byte-string key of at most `BlockKey.maxByteCount` bytes.
///
/// Equality and hashing cover exactly the key's bytes. Keys from integer trace ids
/// (`BlockKey(traceID:)`) are the 8 big-endian bytes of the id, so the mapping is
/// deterministic and a key's bytes read the same on every machine.
public struct BlockKey: Hashable, Sendable, CustomStringConvertible {
    public static let maxByteCount = 64

    /// Eight words of storage; bytes past `count` are always zero, so the derived
    /// Equatable/Hashable over the stored properties is exact.
    @usableFromInline var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    @usableFromInline var w4: UInt64 = 0, w5: UInt64 = 0, w6: UInt64 = 0, w7: UInt64 = 0
    @usableFromInline var length: UInt8 = 0

    /// Number of key bytes.
    @inlinable public var count: Int { Int(length) }

    /// A key from raw bytes. Returns nil when `bytes` is empty or longer than 64 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty, bytes.count <= BlockKey.maxByteCount else { return nil }
        length = UInt8(bytes.count)
        withUnsafeMutableBytes(of: &self) { raw in
            var index = 0
            for byte in bytes {
                raw[index] = byte
                index += 1
            }
        }
    }

    /// The key of an integer trace block id: its 8 big-endian bytes.
    @inlinable
    public init(traceID: UInt64) {
        w0 = traceID.bigEndian
        length = 8
    }

    /// A key of at most 8 bytes from its first word and length (the block directory keeps
    /// short keys in these two fields of its nodes).
    @inlinable
    init(head: UInt64, count: UInt8) {
        w0 = head
        length = count
    }

    /// The first 8 bytes as stored (bytes past `count` are zero): the whole key when
    /// `count <= 8`.
    @inlinable
    var head: UInt64 { w0 }

    /// The integer id when this key was made by `init(traceID:)`, else nil.
    @inlinable
    public var traceID: UInt64? {
        guard length == 8, w1 == 0 else { return nil }
        return UInt64(bigEndian: w0)
    }

    /// Calls `body` with the key's bytes.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try Swift.withUnsafeBytes(of: &copy) { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[0..<Int(length)]))
        }
    }

    /// The key's bytes as an array (allocates; not for hot paths).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public var description: String {
        if let id = traceID { return "#\(id)" }
        return withUnsafeBytes { raw in
            raw.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }
    }
}
