// Parses and prints byte sizes with units ("64GiB", "256 KiB", "1.5MiB", "4096").

/// Byte-size text for configuration values.
///
/// Accepted: a non-negative number, optionally fractional, optionally followed by a unit.
/// Binary units `B`, `KiB`, `MiB`, `GiB`, `TiB`, `PiB` (powers of 1024) and decimal units
/// `KB`, `MB`, `GB`, `TB` (powers of 1000), case-insensitive, with optional space before the
/// unit. The result must be a whole number of bytes: `1.5KiB` is 1536, `0.3KiB` is an error.
public enum ByteSize {
    /// The units, longest spelling first so `KiB` is not read as `K` + `iB`.
    static let units: [(name: String, multiplier: UInt64)] = [
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40), ("pib", 1 << 50),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("b", 1),
    ]

    /// Why a size text was refused.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case notANumber(String)
        case unknownUnit(String)
        case fractionalBytes(String)
        case tooLarge(String)

        public var description: String {
            switch self {
            case .empty: return "is empty"
            case .notANumber(let text): return "'\(text)' is not a number"
            case .unknownUnit(let unit):
                return "unknown unit '\(unit)' (use B, KiB, MiB, GiB, TiB, PiB, KB, MB, GB or TB)"
            case .fractionalBytes(let text): return "'\(text)' is not a whole number of bytes"
            case .tooLarge(let text): return "'\(text)' is larger than \(UInt64.max) bytes"
            }
        }
    }

    /// Parses `text` into a byte count.
    ///
    /// - Throws: `ByteSize.ParseError` saying what is wrong with the text.
    public static func parse(_ text: String) throws(ParseError) -> UInt64 {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .empty }
        let digitEnd =
            trimmed.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) })
            ?? trimmed.endIndex
        let numberText = String(trimmed[..<digitEnd])
        let unitText = String(trimmed[digitEnd...]).trimmingWhitespace().lowercased()
        guard !numberText.isEmpty, numberText.filter({ $0 == "." }).count <= 1,
            numberText != "."
        else {
            throw .notANumber(trimmed)
        }
        let multiplier: UInt64
        if unitText.isEmpty {
            multiplier = 1
        } else if let unit = units.first(where: { $0.name == unitText }) {
            multiplier = unit.multiplier
        } else {
            throw .unknownUnit(String(trimmed[digitEnd...]).trimmingWhitespace())
        }
        // Exact arithmetic: split "1.5" into 1 and 5/10 rather than going through Double, so
        // large sizes ("16383.999TiB") stay exact.
        let parts = numberText.split(separator: ".", omittingEmptySubsequences: false)
        let wholeText = parts[0].isEmpty ? "0" : String(parts[0])
        let fractionText = parts.count > 1 ? String(parts[1]) : ""
        guard let whole = UInt64(wholeText) else { throw .tooLarge(trimmed) }
        let (wholeBytes, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw .tooLarge(trimmed) }
        var fractionBytes: UInt64 = 0
        let fractionDigits = fractionText.trimmingTrailingZeros()
        if !fractionDigits.isEmpty {
            guard fractionDigits.count <= 18, let numerator = UInt64(fractionDigits) else {
                throw .fractionalBytes(trimmed)
            }
            var denominator: UInt64 = 1
            for _ in 0..<fractionDigits.count { denominator *= 10 }
            let product = numerator.multipliedFullWidth(by: multiplier)
            let (quotient, remainder) = denominator.dividingFullWidth(product)
            guard remainder == 0 else { throw .fractionalBytes(trimmed) }
            fractionBytes = quotient
        }
        let (total, overflowTotal) = wholeBytes.addingReportingOverflow(fractionBytes)
        guard !overflowTotal else { throw .tooLarge(trimmed) }
        return total
    }

    /// The shortest exact spelling: `262144` -> `"256 KiB"`, `1000` -> `"1000 B"`.
    public static func format(_ bytes: UInt64) -> String {
        let binary: [(String, UInt64)] = [
            ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ]
        for (name, multiplier) in binary where bytes >= multiplier && bytes % multiplier == 0 {
            return "\(bytes / multiplier) \(name)"
        }
        // Not a whole number of any unit: one decimal place of the largest unit, marked "~".
        for (name, multiplier) in binary where bytes >= multiplier {
            let tenths = (bytes * 10 + multiplier / 2) / multiplier
            return "~\(tenths / 10).\(tenths % 10) \(name)"
        }
        return "\(bytes) B"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }

    fileprivate func trimmingTrailingZeros() -> String {
        var slice = Substring(self)
        while slice.last == "0" { slice.removeLast() }
        return String(slice)
    }
}
