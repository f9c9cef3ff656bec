// A size on the command line: raw bytes or a number with a unit ("1GiB", "256 KiB", "4096"),
// parsed by the configuration's ByteSize so every size flag accepts the same spellings.
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

/// The value of every `--*-bytes` / `--bytes` flag.
///
/// Declared as `@Option(..., transform: ByteCount.parse)` so a refused value names the
/// reason (`'1.5B' is not a whole number of bytes`), not only the flag.
struct ByteCount: Equatable, Sendable, CustomStringConvertible {
    /// The number of bytes.
    let bytes: UInt64

    init(_ bytes: UInt64) { self.bytes = bytes }

    init(_ bytes: Int) { self.bytes = UInt64(max(0, bytes)) }

    /// The count as an `Int` (saturating; sizes above `Int.max` are refused by `parse`).
    var int: Int { Int(clamping: bytes) }

    /// Shown as the default in `--help`: `256 KiB`, `1 GiB`, `4096 B`.
    var description: String { ByteSize.format(bytes) }

    /// Parses a size; raw bytes (`262144`) and units (`256KiB`, `1 GiB`, `10GB`).
    /// - Throws: `ValidationError` with the reason, which ArgumentParser prints after the flag.
    static func parse(_ text: String) throws -> ByteCount {
        let bytes: UInt64
        do { bytes = try ByteSize.parse(text) } catch {
            throw ValidationError("\(error); write raw bytes or a size with a unit, e.g. 262144, 256KiB, 1GiB")
        }
        guard bytes <= UInt64(Int.max) else {
            throw ValidationError("'\(text)' is larger than \(Int.max) bytes")
        }
        return ByteCount(bytes)
    }
}
