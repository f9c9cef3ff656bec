// Checks byte-size parsing (units, fractions, errors) and printing.
import Foundation
import Testing

@testable import SpillwayCore

@Suite("ByteSize")
struct ByteSizeTests {
    @Test("accepts plain bytes, binary and decimal units, fractions and spaces")
    func accepted() throws {
        let cases: [(String, UInt64)] = [
            ("0", 0), ("4096", 4096), ("1B", 1), ("256KiB", 262_144), ("256 KiB", 262_144),
            ("1.5MiB", 1_572_864), ("64GiB", 68_719_476_736), ("2TiB", 2 << 40), ("1PiB", 1 << 50),
            ("1kib", 1024), (" 3 MiB ", 3 << 20), ("1KB", 1000), ("1.5GB", 1_500_000_000),
            ("0.5KiB", 512), (".5KiB", 512), ("10.000B", 10),
            ("16383.75TiB", 18_014_123_631_575_040),
        ]
        for (text, expected) in cases {
            #expect(try ByteSize.parse(text) == expected, "\(text)")
        }
    }

    @Test("refuses bad text with a message saying why")
    func refused() {
        let cases: [(String, String)] = [
            ("", "is empty"),
            ("   ", "is empty"),
            ("abc", "'abc' is not a number"),
            ("-1", "'-1' is not a number"),
            ("1.2.3KiB", "'1.2.3KiB' is not a number"),
            ("12XB", "unknown unit 'XB' (use B, KiB, MiB, GiB, TiB, PiB, KB, MB, GB or TB)"),
            ("0.3B", "'0.3B' is not a whole number of bytes"),
            ("0.1KiB", "'0.1KiB' is not a whole number of bytes"),
            (
                "99999999999999999999",
                "'99999999999999999999' is larger than 18446744073709551615 bytes"
            ),
            ("16385PiB", "'16385PiB' is larger than 18446744073709551615 bytes"),
        ]
        for (text, message) in cases {
            #expect(throws: ByteSize.ParseError.self, "\(text)") { try ByteSize.parse(text) }
            do {
                _ = try ByteSize.parse(text)
            } catch {
                #expect(error.description == message, "\(text)")
            }
        }
    }

    @Test("prints the largest exact unit, and round-trips through parse")
    func formatted() throws {
        #expect(ByteSize.format(0) == "0 B")
        #expect(ByteSize.format(1000) == "1000 B")
        #expect(ByteSize.format(262_144) == "256 KiB")
        #expect(ByteSize.format(2 << 20) == "2 MiB")
        #expect(ByteSize.format(64 << 30) == "64 GiB")
        #expect(ByteSize.format(1_572_864) == "1536 KiB")
        #expect(ByteSize.format(1_500_000) == "~1.4 MiB")
        for bytes: UInt64 in [1, 512, 1024, 3 << 20, 5 << 40] {
            #expect(
                try ByteSize.parse(ByteSize.format(bytes).replacingOccurrences(of: " ", with: ""))
                    == bytes)
        }
    }
}
