// The one JSON encoding every report and `--json` output goes through: Codable values,
// sorted keys, one line, numbers that are always finite.
import Foundation

/// Encodes report values as JSON text.
package enum JSONText {
    /// `value` as one line of JSON, keys sorted, `/` unescaped.
    /// - Throws: `EncodingError` (only for a non-finite floating-point value).
    package static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// `value` rounded to 6 decimals (rates and seconds in reports); 0 when not finite.
    package static func decimals6(_ value: Double) -> Double {
        value.isFinite ? (value * 1_000_000).rounded() / 1_000_000 : 0
    }
}

/// A JSON object key given at run time (report fields added by name).
package struct JSONKey: CodingKey, Sendable {
    package var stringValue: String
    package var intValue: Int? { nil }
    package init(_ name: String) { stringValue = name }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}
