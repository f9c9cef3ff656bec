// Why one Mooncake trace line was rejected; `message` is the text after "trace line N: ".

/// A malformed line's reason. The first four cases keep the wording the trace reader has
/// always used; invalid JSON now also says what was expected and where.
enum MooncakeLineError: Error, Equatable, Sendable {
    case missingField(String)
    case wrongType(String)
    case badHashID(index: Int)
    case notAnObject
    /// A number in a known field that does not fit its type (`input_length: 1.5`, a
    /// timestamp of `1e400`, a length beyond `Int`).
    case badNumber(field: String, expected: String)
    /// Not JSON: what was expected, at a 1-based byte column.
    case invalidJSON(expected: String, column: Int)

    var message: String {
        switch self {
        case .missingField(let name): "missing field '\(name)'"
        case .wrongType(let name): "field '\(name)' has the wrong type"
        case .badHashID(let index): "hash_ids[\(index)] is not a non-negative integer"
        case .notAnObject: "not a JSON object"
        case .badNumber(let field, let expected): "field '\(field)' is not \(expected)"
        case .invalidJSON(let expected, let column):
            "not valid JSON: expected \(expected) at column \(column)"
        }
    }
}
