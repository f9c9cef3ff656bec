// Parses one Mooncake JSONL line in a single pass, appending its hash ids to the trace.

/// One line's parser. Accepts exactly what the trace reader accepted when it decoded lines
/// with Foundation's `JSONDecoder` (the differential test `MooncakeScannerDifferentialTests`
/// and the `trace` fuzz target check it against that decoder, kept in SpillwayTesting as
/// `ReferenceTraceDecoder`):
/// - the line is one JSON object, optionally after a UTF-8 byte order mark, with JSON
///   whitespace (space, tab, CR) around tokens; keys in any order; unknown keys ignored,
///   whatever their value; when a key repeats, its first value counts;
/// - `hash_ids` (required): an array of non-negative integers (`JSONNumberToken`);
///   `timestamp` (number), `input_length` and `output_length` (integers) are optional and
///   may be null;
/// - Foundation's leniencies are kept: a trailing comma in an array or object, any escape
///   or raw control byte inside string values and nested objects' keys (the line's own keys
///   must be strict JSON strings in valid UTF-8, as Foundation decoded them), and number
///   tokens of unknown keys checked only for their characters; nesting deeper than 512 is
///   rejected;
/// - errors are reported in the old order: invalid JSON, not an object, then timestamp,
///   input_length, output_length, hash_ids.
struct MooncakeLine {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    static let depthLimit = 512

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// A known field's state after the scan: absent (or null), a value, or its error.
    enum Field<Value> {
        case absent
        case value(Value)
        case failed(MooncakeLineError)

        /// The value, nil when absent; a failed field throws its error.
        func settled() throws(MooncakeLineError) -> Value? {
            switch self {
            case .absent: return nil
            case .value(let value): return value
            case .failed(let error): throw error
            }
        }
    }

    /// Which field a key names.
    enum Key { case timestamp, inputLength, outputLength, hashIDs, other }

    /// Parses the line; its hash ids are written to `ids`, `idCount` of them (meaningful on
    /// success only). `ids` is replaced by a larger buffer (`HashIDScratch.grow`) when full,
    /// so its room follows the ids found, not the line's length; the caller owns the result.
    mutating func parse(
        ids: inout UnsafeMutableBufferPointer<UInt64>, idCount: inout Int, keyScratch: inout [UInt8]
    ) -> Result<TraceRequestMetadata, MooncakeLineError> {
        var timestamp = Field<Double>.absent
        var inputLength = Field<Int>.absent
        var outputLength = Field<Int>.absent
        var hashIDs = Field<Void>.absent
        var seen: (Bool, Bool, Bool, Bool) = (false, false, false, false)
        do throws(MooncakeLineError) {
            if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
            skipWhitespace()
            guard index < bytes.count else { throw invalid("a JSON value") }
            guard bytes[index] == UInt8(ascii: "{") else {
                try skipValue(depth: 1)
                try expectEnd()
                return .failure(.notAnObject)
            }
            index += 1
            skipWhitespace()
            if !take(UInt8(ascii: "}")) {
                while true {
                    let key = try scanKey(scratch: &keyScratch)
                    skipWhitespace()
                    guard take(UInt8(ascii: ":")) else { throw invalid("':'") }
                    skipWhitespace()
                    switch key {
                    case .timestamp where !seen.0:
                        seen.0 = true
                        timestamp = try scanNumberField("timestamp", expected: "a finite number") {
                            $0.doubleValue
                        }
                    case .inputLength where !seen.1:
                        seen.1 = true
                        inputLength = try scanLengthField("input_length")
                    case .outputLength where !seen.2:
                        seen.2 = true
                        outputLength = try scanLengthField("output_length")
                    case .hashIDs where !seen.3:
                        seen.3 = true
                        hashIDs = try scanHashIDs(into: &ids, count: &idCount)
                    default:
                        try skipValue(depth: 2)
                    }
                    skipWhitespace()
                    if take(UInt8(ascii: "}")) { break }
                    guard take(UInt8(ascii: ",")) else { throw invalid("',' or '}'") }
                    skipWhitespace()
                    if take(UInt8(ascii: "}")) { break }
                }
            }
            try expectEnd()
        } catch {
            return .failure(error)
        }
        do throws(MooncakeLineError) {
            let fields = TraceRequestMetadata(
                timestamp: try timestamp.settled(), inputLength: try inputLength.settled(),
                outputLength: try outputLength.settled())
            guard try hashIDs.settled() != nil else {
                return .failure(seen.3 ? .wrongType("hash_ids") : .missingField("hash_ids"))
            }
            return .success(fields)
        } catch {
            return .failure(error)
        }
    }

    // MARK: Known fields

    /// `hash_ids`: an array whose elements are stored in `ids` while they are valid ids.
    private mutating func scanHashIDs(
        into ids: inout UnsafeMutableBufferPointer<UInt64>, count: inout Int
    ) throws(MooncakeLineError) -> Field<Void> {
        guard index < bytes.count else { throw invalid("a JSON value") }
        guard bytes[index] == UInt8(ascii: "[") else {
            // null is "absent" for the optional fields but wrong for the required array.
            try skipValue(depth: 2)
            return .failed(.wrongType("hash_ids"))
        }
        index += 1
        skipWhitespace()
        // The loop appends to copies it can keep in registers; they go back on every exit
        // (a buffer grown here belongs to the caller).
        var buffer = ids
        var stored = count
        defer {
            ids = buffer
            count = stored
        }
        var element = 0
        var badElement: Int?
        if take(UInt8(ascii: "]")) { return .value(()) }
        while true {
            guard index < bytes.count else { throw invalid("a JSON value") }
            let byte = bytes[index]
            if let id = scanPlainID() {
                if badElement == nil { Self.append(id, to: &buffer, count: &stored) }
            } else if byte == UInt8(ascii: "-") || JSONNumberToken.isDigit(byte) {
                let token = scanNumberToken()
                if badElement == nil {
                    if let id = token.unsignedValue {
                        Self.append(id, to: &buffer, count: &stored)
                    } else {
                        badElement = element
                    }
                }
            } else {
                try skipValue(depth: 3)
                if badElement == nil { badElement = element }
            }
            element += 1
            skipWhitespace()
            if take(UInt8(ascii: "]")) { break }
            guard take(UInt8(ascii: ",")) else { throw invalid("',' or ']'") }
            skipWhitespace()
            if take(UInt8(ascii: "]")) { break }
        }
        if let badElement { return .failed(.badHashID(index: badElement)) }
        return .value(())
    }

    @inline(__always)
    private static func append(_ id: UInt64, to ids: inout UnsafeMutableBufferPointer<UInt64>, count: inout Int) {
        if count == ids.count { HashIDScratch.grow(&ids, keeping: count) }
        ids[count] = id
        count += 1
    }

    /// `input_length` or `output_length`.
    private mutating func scanLengthField(_ name: String) throws(MooncakeLineError) -> Field<Int> {
        try scanNumberField(name, expected: "an integer in Int's range") { $0.signedValue }
    }

    /// An optional number field: null is absent, a number converts or fails, anything else
    /// has the wrong type.
    private mutating func scanNumberField<Value>(
        _ name: String, expected: String, _ convert: (JSONNumberToken) -> Value?
    ) throws(MooncakeLineError) -> Field<Value> {
        guard index < bytes.count else { throw invalid("a JSON value") }
        let byte = bytes[index]
        if byte == UInt8(ascii: "-") || JSONNumberToken.isDigit(byte) {
            let token = scanNumberToken()
            guard let value = convert(token) else { return .failed(.badNumber(field: name, expected: expected)) }
            return .value(value)
        }
        if byte == UInt8(ascii: "n") {
            try skipLiteral("null")
            return .absent
        }
        try skipValue(depth: 2)
        return .failed(.wrongType(name))
    }

    // MARK: Tokens

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A else { return }
            index += 1
        }
    }

    @inline(__always)
    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count && bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private func invalid(_ expected: String) -> MooncakeLineError {
        .invalidJSON(expected: index < bytes.count ? expected : expected + " (the line ended)", column: index + 1)
    }

    private mutating func expectEnd() throws(MooncakeLineError) {
        skipWhitespace()
        guard index == bytes.count else { throw invalid("the end of the line after the object") }
    }

    /// The common id token in one pass: plain digits (`JSONNumberToken.plainUnsigned`, the
    /// same conversion `unsignedValue` starts with) that the number token ends after, so it
    /// is exactly the token `scanNumberToken` would delimit. Anything else (a sign,
    /// fraction, exponent, leading zero, overflow) returns nil with `index` unchanged, for
    /// the general path.
    @inline(__always)
    private mutating func scanPlainID() -> UInt64? {
        guard let (value, end) = JSONNumberToken.plainUnsigned(bytes, from: index) else { return nil }
        if end < bytes.count && Self.continuesNumberToken(bytes[end]) { return nil }
        index = end
        return value
    }

    /// Whether `byte` may continue a number token (`.`, `e`, `E`, `+`, `-`; digits are
    /// consumed before this is asked).
    @inline(__always)
    private static func continuesNumberToken(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte | 0x20 == UInt8(ascii: "e") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: "-") || JSONNumberToken.isDigit(byte)
    }

    /// A number token as Foundation's scanner delimits it: a digit or `-`, then any of
    /// `0-9 . e E + -`.
    @inline(__always)
    private mutating func scanNumberToken() -> JSONNumberToken {
        let start = index
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            guard Self.continuesNumberToken(byte) else { break }
            index += 1
        }
        return JSONNumberToken(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]))
    }

    private mutating func skipLiteral(_ literal: StaticString) throws(MooncakeLineError) {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in text {
            guard take(byte) else { throw invalid("'\(literal)'") }
        }
    }

    /// Any value, checked as Foundation's scanner checks it (see the type's comment).
    private mutating func skipValue(depth: Int) throws(MooncakeLineError) {
        guard index < bytes.count else { throw invalid("a JSON value") }
        switch bytes[index] {
        case UInt8(ascii: "\""): try skipStringValue()
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = scanNumberToken()
        case UInt8(ascii: "["):
            guard depth <= Self.depthLimit else { throw invalid("nesting no deeper than \(Self.depthLimit)") }
            index += 1
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return }
                guard take(UInt8(ascii: ",")) else { throw invalid("',' or ']'") }
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return }
            }
        case UInt8(ascii: "{"):
            guard depth <= Self.depthLimit else { throw invalid("nesting no deeper than \(Self.depthLimit)") }
            index += 1
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return }
            while true {
                // Nested keys are never decoded, so Foundation checked them as leniently
                // as string values.
                guard index < bytes.count && bytes[index] == UInt8(ascii: "\"") else {
                    throw invalid("a '\"'-quoted key")
                }
                try skipStringValue()
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { throw invalid("':'") }
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if take(UInt8(ascii: "}")) { return }
                guard take(UInt8(ascii: ",")) else { throw invalid("',' or '}'") }
                skipWhitespace()
                if take(UInt8(ascii: "}")) { return }
            }
        default:
            throw invalid("a JSON value")
        }
    }

    /// A string value: any byte but `"`; a backslash takes the next byte. Then, as
    /// Foundation checked it, every `\u` needs four more bytes (any) before the closing quote.
    private mutating func skipStringValue() throws(MooncakeLineError) {
        index += 1
        let start = index
        var unicodeEscape = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if unicodeEscape { try checkUnicodeEscapes(start..<index) }
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                unicodeEscape = unicodeEscape || (index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "u"))
                index += 2
            } else {
                index += 1
            }
        }
        index = bytes.count
        throw invalid("'\"' closing the string")
    }

    /// Rare: a string value with `\u` escapes; each needs four bytes inside the string.
    private func checkUnicodeEscapes(_ content: Range<Int>) throws(MooncakeLineError) {
        var position = content.lowerBound
        while position < content.upperBound {
            guard bytes[position] == UInt8(ascii: "\\") else {
                position += 1
                continue
            }
            if position + 1 < content.upperBound && bytes[position + 1] == UInt8(ascii: "u") {
                guard position + 6 <= content.upperBound else {
                    throw MooncakeLineError.invalidJSON(
                        expected: "four characters after \\u", column: position + 1)
                }
                position += 6
            } else {
                position += 2
            }
        }
    }

    // MARK: Keys

    /// An object key (a strict JSON string), named if it is one of the known fields.
    private mutating func scanKey(scratch: inout [UInt8]) throws(MooncakeLineError) -> Key {
        guard take(UInt8(ascii: "\"")) else { throw invalid("a '\"'-quoted key") }
        let start = index
        var escaped = false
        var nonASCII = false
        while true {
            guard index < bytes.count else { throw invalid("'\"' closing the key") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            nonASCII = nonASCII || byte >= 0x80
            if byte < 0x20 { throw invalid("no control character in the key") }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard index < bytes.count else { throw invalid("an escape") }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    let unit = try hexUnit()
                    if unit & 0xFC00 == 0xD800 {
                        guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")),
                            try hexUnit() & 0xFC00 == 0xDC00
                        else { throw invalid("a low surrogate escape after a high one") }
                    } else if unit & 0xFC00 == 0xDC00 {
                        throw invalid("a high surrogate before a low one")
                    }
                default:
                    throw invalid("a valid escape")
                }
                continue
            }
            index += 1
        }
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
        // Rare: a key with non-ASCII bytes must be valid UTF-8.
        if nonASCII && String(validating: raw, as: UTF8.self) == nil {
            throw invalid("a key in valid UTF-8")
        }
        index += 1
        if !escaped { return Self.key(raw) }
        scratch.removeAll(keepingCapacity: true)
        Self.unescape(raw, into: &scratch)
        return scratch.withUnsafeBufferPointer { Self.key($0) }
    }

    private mutating func hexUnit() throws(MooncakeLineError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw invalid("four hex digits") }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw invalid("four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// The field a key's (unescaped) bytes name.
    private static func key(_ raw: UnsafeBufferPointer<UInt8>) -> Key {
        func equals(_ name: StaticString) -> Bool {
            raw.count == name.utf8CodeUnitCount
                && memoryEqual(raw, UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        switch raw.count {
        case 8: return equals("hash_ids") ? .hashIDs : .other
        case 9: return equals("timestamp") ? .timestamp : .other
        case 12: return equals("input_length") ? .inputLength : .other
        case 13: return equals("output_length") ? .outputLength : .other
        default: return .other
        }
    }

    private static func memoryEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    /// Decodes a key's escapes (already validated) to UTF-8.
    private static func unescape(_ raw: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var i = 0
        func hex(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for k in at..<(at + 4) {
                let byte = raw[k]
                value = value << 4 | UInt32(byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x61 + 10)
            }
            return value
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            let kind = raw[i + 1]
            i += 2
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex(i)
                i += 4
                if scalar & 0xFC00 == 0xD800 {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex(i + 2) - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Unicode.Scalar(scalar)!).utf8)
            default: out.append(kind)
            }
        }
    }
}
