// One configuration key: its name, range, documentation, parser, checker and printer.

/// A settable key of `SpillwayConfiguration`, e.g. `disk.queue_depth`.
///
/// Each key knows how to parse a raw value (`apply`), how to check a value already in a
/// configuration (`check`, used by `validate()` for configurations built in code or
/// decoded), and how to print the effective value (`render`). Build keys with the static
/// factories (`integer`, `size`, `choice`, ...), which derive all three from one range.
package struct ConfigurationKey: @unchecked Sendable {
    /// Dotted name as in the JSON file: `disk.queue_depth`.
    package let name: String
    /// What the allowed values are: `an integer in 1...4096`.
    package let allowed: String
    /// One-line documentation.
    package let summary: String
    /// The kind of value, which decides how a JSON scalar is read.
    package let kind: Kind
    let applyInput:
        (inout SpillwayConfiguration, ConfigurationInput) throws(ConfigurationError) -> Void
    let checkValue: (SpillwayConfiguration) throws(ConfigurationError) -> Void
    let renderValue: (SpillwayConfiguration) -> String
    let jsonValue: (SpillwayConfiguration) -> JSONScalar

    /// The environment variable: `SPILLWAY_` + the name upper-cased, `.` as `_`.
    package var environmentName: String {
        "SPILLWAY_" + name.uppercased().replacingDots(with: "_")
    }

    /// The dotted name's components: `["disk", "queue_depth"]`.
    package var components: [String] { name.split(separator: ".").map(String.init) }

    /// Parses `input` and stores it in `configuration`.
    ///
    /// - Throws: `ConfigurationError` naming this key, the value, `source` and `allowed`.
    package func apply(
        _ input: ConfigurationInput, to configuration: inout SpillwayConfiguration,
        source: ConfigValueSource? = nil
    ) throws(ConfigurationError) {
        do {
            try applyInput(&configuration, input)
        } catch {
            var error = error
            error.source = source
            throw error
        }
    }

    /// Checks this key's value in `configuration` against its range.
    package func check(_ configuration: SpillwayConfiguration) throws(ConfigurationError) {
        try checkValue(configuration)
    }

    /// The effective value as text, sizes with their unit: `262144 (256 KiB)`.
    package func render(_ configuration: SpillwayConfiguration) -> String {
        renderValue(configuration)
    }

    /// The effective value as a JSON scalar.
    package func json(_ configuration: SpillwayConfiguration) -> JSONScalar {
        jsonValue(configuration)
    }

    func error(_ value: String, reason: String? = nil) -> ConfigurationError {
        ConfigurationError(key: name, value: value, allowed: allowed, reason: reason)
    }
}

extension ConfigurationKey {
    /// The kinds of configuration values.
    package enum Kind: String, Sendable {
        case string, choice, integer, size, fraction, boolean
    }
}

/// A JSON scalar for printing effective values.
package enum JSONScalar: Sendable, Equatable, Encodable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case boolean(Bool)

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        }
    }
}

extension ConfigurationKey {
    /// An integer key in `range`.
    static func integer(
        _ name: String, _ keyPath: WritableKeyPath<SpillwayConfiguration, Int>,
        range: ClosedRange<Int>, summary: String
    ) -> ConfigurationKey {
        let allowed = "an integer in \(range.lowerBound)...\(range.upperBound)"
        var key: ConfigurationKey!
        key = ConfigurationKey(
            name: name, allowed: allowed, summary: summary, kind: .integer,
            applyInput: { (configuration, input) throws(ConfigurationError) in
                let value: Int
                switch input {
                case .integer(let number): value = number
                case .text(let text):
                    guard let number = Int(text.trimmingWhitespace()) else {
                        throw key.error(text, reason: "not an integer")
                    }
                    value = number
                case .number(let number):
                    guard let exact = Int(exactly: number) else {
                        throw key.error(input.description, reason: "not an integer")
                    }
                    value = exact
                case .boolean:
                    throw key.error(input.description, reason: "not an integer")
                }
                guard range.contains(value) else {
                    throw key.error(String(value), reason: "out of range")
                }
                configuration[keyPath: keyPath] = value
            },
            checkValue: { (configuration) throws(ConfigurationError) in
                let value = configuration[keyPath: keyPath]
                guard range.contains(value) else {
                    throw key.error(String(value), reason: "out of range")
                }
            },
            renderValue: { String($0[keyPath: keyPath]) },
            jsonValue: { .integer(Int64($0[keyPath: keyPath])) })
        return key
    }

    /// An unsigned 64-bit key (seeds): any value 0...2^64-1.
    static func unsigned(
        _ name: String, _ keyPath: WritableKeyPath<SpillwayConfiguration, UInt64>, summary: String
    ) -> ConfigurationKey {
        var key: ConfigurationKey!
        key = ConfigurationKey(
            name: name, allowed: "an integer in 0...\(UInt64.max)", summary: summary,
            kind: .integer,
            applyInput: { (configuration, input) throws(ConfigurationError) in
                switch input {
                case .integer(let number) where number >= 0:
                    configuration[keyPath: keyPath] = UInt64(number)
                case .text(let text):
                    guard let number = UInt64(text.trimmingWhitespace()) else {
                        throw key.error(text, reason: "not a non-negative integer")
                    }
                    configuration[keyPath: keyPath] = number
                default:
                    throw key.error(input.description, reason: "not a non-negative integer")
                }
            },
            checkValue: { _ in },
            renderValue: { String($0[keyPath: keyPath]) },
            jsonValue: { .unsigned($0[keyPath: keyPath]) })
        return key
    }

    /// A byte-size key in `range`; accepts plain bytes or units (`256KiB`, `1.5MiB`).
    static func size(
        _ name: String, _ keyPath: WritableKeyPath<SpillwayConfiguration, UInt64>,
        range: ClosedRange<UInt64>, summary: String
    ) -> ConfigurationKey {
        let allowed =
            "a size in \(ByteSize.format(range.lowerBound))...\(ByteSize.format(range.upperBound))"
            + " (bytes, or with a unit: 256KiB, 1.5MiB, 64GiB)"
        var key: ConfigurationKey!
        key = ConfigurationKey(
            name: name, allowed: allowed, summary: summary, kind: .size,
            applyInput: { (configuration, input) throws(ConfigurationError) in
                let value: UInt64
                switch input {
                case .integer(let number):
                    guard number >= 0 else {
                        throw key.error(input.description, reason: "negative")
                    }
                    value = UInt64(number)
                case .text(let text):
                    switch Result(catching: { () throws(ByteSize.ParseError) in
                        try ByteSize.parse(text)
                    }) {
                    case .success(let bytes): value = bytes
                    case .failure(let error): throw key.error(text, reason: error.description)
                    }
                case .number(let number):
                    guard number >= 0, let exact = UInt64(exactly: number) else {
                        throw key.error(input.description, reason: "not a whole number of bytes")
                    }
                    value = exact
                case .boolean:
                    throw key.error(input.description, reason: "not a size")
                }
                guard range.contains(value) else {
                    throw key.error(
                        input.description, reason: "\(ByteSize.format(value)) is out of range")
                }
                configuration[keyPath: keyPath] = value
            },
            checkValue: { (configuration) throws(ConfigurationError) in
                let value = configuration[keyPath: keyPath]
                guard range.contains(value) else {
                    throw key.error(
                        String(value), reason: "\(ByteSize.format(value)) is out of range")
                }
            },
            renderValue: {
                let value = $0[keyPath: keyPath]
                return value == 0 ? "0" : "\(value) (\(ByteSize.format(value)))"
            },
            jsonValue: { .unsigned($0[keyPath: keyPath]) })
        return key
    }

    /// A fraction key in `range` (a JSON number or decimal text).
    static func fraction(
        _ name: String, _ keyPath: WritableKeyPath<SpillwayConfiguration, Double>,
        range: ClosedRange<Double>, excludingLowerBound: Bool, summary: String
    ) -> ConfigurationKey {
        let allowed =
            "a number in \(excludingLowerBound ? "(" : "[")\(range.lowerBound), \(range.upperBound)]"
        let contains: (Double) -> Bool = { value in
            value.isFinite && range.contains(value)
                && !(excludingLowerBound && value == range.lowerBound)
        }
        var key: ConfigurationKey!
        key = ConfigurationKey(
            name: name, allowed: allowed, summary: summary, kind: .fraction,
            applyInput: { (configuration, input) throws(ConfigurationError) in
                let value: Double
                switch input {
                case .number(let number): value = number
                case .integer(let number): value = Double(number)
                case .text(let text):
                    guard let number = Double(text.trimmingWhitespace()) else {
                        throw key.error(text, reason: "not a number")
                    }
                    value = number
                case .boolean:
                    throw key.error(input.description, reason: "not a number")
                }
                guard contains(value) else {
                    throw key.error(input.description, reason: "out of range")
                }
                configuration[keyPath: keyPath] = value
            },
            checkValue: { (configuration) throws(ConfigurationError) in
                let value = configuration[keyPath: keyPath]
                guard contains(value) else {
                    throw key.error(String(value), reason: "out of range")
                }
            },
            renderValue: { String($0[keyPath: keyPath]) },
            jsonValue: { .number($0[keyPath: keyPath]) })
        return key
    }

    /// A boolean key: JSON true/false, or text true/false/yes/no/1/0/on/off.
    static func boolean(
        _ name: String, _ keyPath: WritableKeyPath<SpillwayConfiguration, Bool>, summary: String
    ) -> ConfigurationKey {
        var key: ConfigurationKey!
        key = ConfigurationKey(
            name: name, allowed: "true or false", summary: summary, kind: .boolean,
            applyInput: { (configuration, input) throws(ConfigurationError) in
                switch input {
                case .boolean(let value): configuration[keyPath: keyPath] = value
                case .text(let text):
                    switch text.trimmingWhitespace().lowercased() {
                    case "true", "yes", "1", "on": configuration[keyPath: keyPath] = true
                    case "false", "no", "0", "off": configuration[keyPath: keyPath] = false
                    default: throw key.error(text, reason: "not a boolean")
                    }
                default:
                    throw key.error(input.description, reason: "not a boolean")
                }
            },
            checkValue: { _ in },
            renderValue: { String($0[keyPath: keyPath]) },
            jsonValue: { .boolean($0[keyPath: keyPath]) })
        return key
    }

    /// A key taking one of an enumeration's raw values.
    static func choice<Value: RawRepresentable & CaseIterable>(
        _ name: String, _ keyPath: WritableKeyPath<SpillwayConfiguration, Value>, summary: String
    ) -> ConfigurationKey where Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue)
        let allowed = "one of " + names.joined(separator: ", ")
        var key: ConfigurationKey!
        key = ConfigurationKey(
            name: name, allowed: allowed, summary: summary, kind: .choice,
            applyInput: { (configuration, input) throws(ConfigurationError) in
                guard case .text(let text) = input else {
                    throw key.error(input.description, reason: "not a string")
                }
                guard let value = Value(rawValue: text.trimmingWhitespace()) else {
                    throw key.error(text, reason: "unknown choice")
                }
                configuration[keyPath: keyPath] = value
            },
            checkValue: { _ in },
            renderValue: { $0[keyPath: keyPath].rawValue },
            jsonValue: { .string($0[keyPath: keyPath].rawValue) })
        return key
    }

    /// A string key checked by `validate`, which returns the reason for a refusal or nil.
    static func string(
        _ name: String, _ keyPath: WritableKeyPath<SpillwayConfiguration, String>,
        allowed: String, summary: String, validate: @escaping (String) -> String?
    ) -> ConfigurationKey {
        var key: ConfigurationKey!
        key = ConfigurationKey(
            name: name, allowed: allowed, summary: summary, kind: .string,
            applyInput: { (configuration, input) throws(ConfigurationError) in
                guard case .text(let text) = input else {
                    throw key.error(input.description, reason: "not a string")
                }
                if let reason = validate(text) { throw key.error(text, reason: reason) }
                configuration[keyPath: keyPath] = text
            },
            checkValue: { (configuration) throws(ConfigurationError) in
                let text = configuration[keyPath: keyPath]
                if let reason = validate(text) { throw key.error(text, reason: reason) }
            },
            renderValue: { $0[keyPath: keyPath] },
            jsonValue: { .string($0[keyPath: keyPath]) })
        return key
    }
}

extension String {
    fileprivate func replacingDots(with separator: Character) -> String {
        String(map { $0 == "." ? separator : $0 })
    }
}
