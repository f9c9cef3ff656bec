// Converts one JSON number token of a trace line to UInt64, Int or Double, accepting
// exactly what Foundation's JSONDecoder accepted for the same field.

/// A number token's bytes (the scanner takes any run of `0-9 . e E + -` that starts with a
/// digit or `-`, as Foundation's scanner does; the conversions check the JSON grammar).
///
/// Rules (Foundation's JSONDecoder, measured): an integer type takes a plain integer
/// without leading zeros, or a number with fraction or exponent whose correctly rounded
/// Double is an exact integer in range (`1e2` is 100, `1.00000000000000001` is 1,
/// `1e-400` is 0); from 2^53 up the decimal digits decide (`9007199254740993.5` is
/// 9007199254740993, see `exactDecimal`).
/// A Double takes any grammatical number whose value is finite and does not underflow to
/// 0. `-0` is 0 for the integers.
struct JSONNumberToken {
    let bytes: UnsafeBufferPointer<UInt8>

    /// The grammar's parts, or nil when the token is not a JSON number.
    struct Parts {
        var negative: Bool
        var integer: Range<Int>
        var fraction: Range<Int>?
        var exponentNegative: Bool
        var exponent: Range<Int>?
    }

    var parts: Parts? {
        var index = 0
        let count = bytes.count
        var parts = Parts(
            negative: false, integer: 0..<0, fraction: nil, exponentNegative: false, exponent: nil)
        if index < count && bytes[index] == UInt8(ascii: "-") {
            parts.negative = true
            index += 1
        }
        let integerStart = index
        while index < count && Self.isDigit(bytes[index]) { index += 1 }
        guard index > integerStart else { return nil }
        guard bytes[integerStart] != UInt8(ascii: "0") || index - integerStart == 1 else { return nil }
        parts.integer = integerStart..<index
        if index < count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < count && Self.isDigit(bytes[index]) { index += 1 }
            guard index > start else { return nil }
            parts.fraction = start..<index
        }
        if index < count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            index += 1
            if index < count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                parts.exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            let start = index
            while index < count && Self.isDigit(bytes[index]) { index += 1 }
            guard index > start else { return nil }
            parts.exponent = start..<index
        }
        return index == count ? parts : nil
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The trace reader's one digit loop: the decimal digits of `bytes` from `start` up to
    /// the first non-digit (or `limit`), as the value (nil on UInt64 overflow) and the
    /// index after them. Up to 19 digits cannot overflow and are converted unchecked.
    @inline(__always)
    static func decimalDigits(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to limit: Int
    ) -> (value: UInt64?, end: Int) {
        var index = start
        var value: UInt64 = 0
        let unchecked = min(limit, start &+ 19)
        while index < unchecked {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return (value, index) }
            value = value &* 10 &+ UInt64(digit)
            index &+= 1
        }
        var overflow = false
        while index < limit {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit))
            overflow = overflow || overflow1 || overflow2
            value = sum
            index &+= 1
        }
        return (overflow ? nil : value, index)
    }

    /// A plain id at `start`: digits without a leading zero (or a lone `0`) that fit
    /// UInt64, with the index after them; nil for anything else (no digit, a leading zero,
    /// overflow). What follows the digits is the caller's to check.
    @inline(__always)
    static func plainUnsigned(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> (value: UInt64, end: Int)? {
        let (value, end) = decimalDigits(bytes, from: start, to: bytes.count)
        guard let value, end > start, end - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        return (value, end)
    }

    /// The token as a hash id (UInt64), or nil.
    @inline(__always)
    var unsignedValue: UInt64? {
        // Fast path: plain digits (every id of a normal trace).
        if let (value, end) = Self.plainUnsigned(bytes, from: 0), end == bytes.count { return value }
        guard let parts else { return nil }
        return integer(parts, magnitudeLimit: UInt64.max, negativeLimit: 0)
    }

    /// The token as an `Int` field (input_length, output_length), or nil.
    var signedValue: Int? {
        guard let parts else { return nil }
        guard let magnitude = integer(parts, magnitudeLimit: UInt64(Int.max), negativeLimit: UInt64(Int.max) + 1)
        else { return nil }
        return parts.negative ? Int(truncatingIfNeeded: 0 &- magnitude) : Int(magnitude)
    }

    /// The token as a Double (timestamp), or nil when not a number, not finite, or non-zero
    /// digits that underflow to 0 (`1e-400`; subnormals are fine).
    var doubleValue: Double? {
        guard let parts, let value = finiteDouble(parts) else { return nil }
        if value == 0 {
            for index in parts.integer where bytes[index] != UInt8(ascii: "0") { return nil }
            for index in parts.fraction ?? 0..<0 where bytes[index] != UInt8(ascii: "0") { return nil }
        }
        return value
    }

    /// The correctly rounded value when finite (underflow to 0 allowed).
    private func finiteDouble(_ parts: Parts) -> Double? {
        if parts.fraction == nil && parts.exponent == nil && parts.integer.count <= 15 {
            let value = Double(digits(parts.integer))
            return parts.negative ? -value : value
        }
        // Rare (fractions, exponents, long integers): the standard library's correctly
        // rounded parser, on a String made for this token only.
        guard let value = Double(String(decoding: bytes, as: UTF8.self)), value.isFinite else {
            return nil
        }
        return value
    }

    /// The integer magnitude (sign in `parts.negative`) within the limits, or nil.
    private func integer(_ parts: Parts, magnitudeLimit: UInt64, negativeLimit: UInt64) -> UInt64? {
        let limit = parts.negative ? negativeLimit : magnitudeLimit
        if parts.fraction == nil && parts.exponent == nil {
            guard let magnitude = exactDigits(parts.integer), magnitude <= limit || magnitude == 0 else {
                return nil
            }
            return magnitude
        }
        guard let double = finiteDouble(parts) else { return nil }
        let magnitude = double.magnitude
        guard magnitude < 18_446_744_073_709_551_616.0, magnitude == magnitude.rounded(.towardZero)
        else { return nil }
        let rounded = UInt64(magnitude)
        if rounded < 1 << 53 {
            return rounded <= limit || rounded == 0 ? rounded : nil
        }
        // From 2^53 up neighbouring Doubles are 2 or more apart: the decimal digits decide.
        // Foundation's Decimal conversion refuses -2^63 too: the positive limit for both signs.
        guard let exact = exactDecimal(parts), exact <= magnitudeLimit, exact <= limit else { return nil }
        return exact
    }

    /// Digits as a number, or nil on overflow.
    private func exactDigits(_ range: Range<Int>) -> UInt64? {
        Self.decimalDigits(bytes, from: range.lowerBound, to: range.upperBound).value
    }

    /// The digits at `positions` as a number, or nil on overflow.
    private func exactDigits(at positions: some Sequence<Int>) -> UInt64? {
        var value: UInt64 = 0
        for index in positions {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[index] &- 48))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    /// Digits as a Double (at most 15 digits: exact).
    private func digits(_ range: Range<Int>) -> Int64 {
        var value: Int64 = 0
        for index in range { value = value * 10 + Int64(bytes[index] &- 48) }
        return value
    }

    /// The integer value from 2^53 up, as Foundation's `Decimal` conversion gives it: the
    /// significant digits (integer and fraction, trailing zeros dropped) must fit UInt64,
    /// the value is then scaled by its exponent and its fraction truncated; nil on overflow.
    private func exactDecimal(_ parts: Parts) -> UInt64? {
        guard let exponentDigits = parts.exponent.map({ exactDigits($0) }) ?? 0,
            exponentDigits < 1000
        else { return nil }
        var scale = parts.exponentNegative ? -Int(exponentDigits) : Int(exponentDigits)
        let fraction = parts.fraction ?? parts.integer.upperBound..<parts.integer.upperBound
        scale -= fraction.count
        // Significant digits: integer then fraction (contiguous but for the '.').
        var positions = Array(parts.integer) + Array(fraction)
        while let last = positions.last, bytes[last] == UInt8(ascii: "0") {
            positions.removeLast()
            scale += 1
        }
        guard var mantissa = exactDigits(at: positions) else { return nil }
        while scale < 0 && mantissa > 0 {
            mantissa /= 10
            scale += 1
        }
        while scale > 0 && mantissa > 0 {
            let (times, overflow) = mantissa.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            mantissa = times
            scale -= 1
        }
        return mantissa
    }
}
