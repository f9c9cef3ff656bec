// Page-aligned heap buffers for tests and benchmarks that drive an IOBackend directly.
import SpillwayCore

/// An owned, 4096-byte-aligned buffer (valid for O_DIRECT), freed on deinit.
package final class IOTestBuffer {
    package let pointer: UnsafeMutableRawPointer
    package let byteCount: Int

    /// Allocates `byteCount` bytes (at least 1) aligned to `alignment`, filled with `fill`.
    package init(byteCount: Int, alignment: Int = 4096, fill: UInt8 = 0) {
        precondition(byteCount >= 0 && alignment > 0 && alignment & (alignment - 1) == 0)
        self.byteCount = byteCount
        self.pointer = .allocate(byteCount: max(byteCount, 1), alignment: alignment)
        pointer.initializeMemory(as: UInt8.self, repeating: fill, count: max(byteCount, 1))
    }

    deinit { pointer.deallocate() }

    /// The whole buffer as bytes.
    package var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: pointer, count: byteCount)
    }

    /// Fills the buffer with a deterministic byte stream derived from `seed`.
    package func fillPattern(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var index = 0
        while index + 8 <= byteCount {
            pointer.storeBytes(of: generator.next(), toByteOffset: index, as: UInt64.self)
            index += 8
        }
        var tail = generator.next()
        while index < byteCount {
            pointer.storeBytes(
                of: UInt8(truncatingIfNeeded: tail), toByteOffset: index, as: UInt8.self)
            tail >>= 8
            index += 1
        }
    }

    /// True when bytes [offset, offset + count) equal `other`'s [otherOffset, + count).
    package func matches(_ other: IOTestBuffer, offset: Int = 0, otherOffset: Int = 0, count: Int)
        -> Bool
    {
        precondition(offset + count <= byteCount && otherOffset + count <= other.byteCount)
        return memcmpEqual(pointer + offset, other.pointer + otherOffset, count)
    }

    /// True when bytes [offset, offset + count) are all zero.
    package func isZero(offset: Int = 0, count: Int) -> Bool {
        precondition(offset + count <= byteCount)
        let bytes = UnsafeRawBufferPointer(start: pointer + offset, count: count)
        return bytes.allSatisfy { $0 == 0 }
    }
}

private func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    UnsafeRawBufferPointer(start: a, count: count).elementsEqual(
        UnsafeRawBufferPointer(start: b, count: count))
}

