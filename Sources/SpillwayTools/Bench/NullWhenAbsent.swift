// An optional report figure whose JSON key stays present: null when there is no value.

/// Wraps an optional field of a Codable report so that the synthesized encoding writes
/// `null` for nil instead of leaving the key out (a reader sees the same keys every time).
@propertyWrapper
package struct NullWhenAbsent<Value: Codable & Sendable>: Codable, Sendable {
    package var wrappedValue: Value?

    package init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
