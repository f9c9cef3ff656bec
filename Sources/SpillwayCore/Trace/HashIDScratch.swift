// The growable buffer a MooncakeScanner parses one line's hash ids into.

/// Room for one line's hash ids. It starts empty and doubles (from `initialCapacity`)
/// only when a line has more ids than it holds, so its size follows the ids actually
/// found, never the line's length: at most twice the most ids of any line scanned so far
/// (a good line's ids end up in the trace anyway; a bad line skipped under `skipBadLines`
/// may have grown it too), or `initialCapacity`. A 1 GiB line of
/// whitespace costs nothing here.
///
/// The parser writes through a copy of `buffer` (`MooncakeLine.parse`), growing it with
/// `grow(_:keeping:)`, and the scanner stores it back; the box only owns the memory. A
/// scanner that is copied replaces a shared box before parsing (`isKnownUniquelyReferenced`),
/// so copies never write to the same memory.
final class HashIDScratch: @unchecked Sendable {
    /// The first allocation, in ids (2 KiB): more than a typical line has.
    static let initialCapacity = 256

    /// Read and written once per line by its scanner only (a copy gets its own box), so
    /// the per-access exclusivity check of a class property is skipped.
    @exclusivity(unchecked) var buffer = UnsafeMutableBufferPointer<UInt64>(start: nil, count: 0)

    deinit { buffer.deallocate() }

    /// Replaces `buffer` by one twice as large (at least `initialCapacity`) holding its
    /// first `count` ids; frees the old one.
    @inline(never)
    static func grow(_ buffer: inout UnsafeMutableBufferPointer<UInt64>, keeping count: Int) {
        let bigger = UnsafeMutableBufferPointer<UInt64>.allocate(
            capacity: max(initialCapacity, 2 * buffer.count))
        if count > 0, let old = buffer.baseAddress {
            bigger.baseAddress!.initialize(from: old, count: count)
        }
        buffer.deallocate()
        buffer = bigger
    }
}
