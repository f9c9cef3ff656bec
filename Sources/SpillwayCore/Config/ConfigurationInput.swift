// One raw configuration value as a layer supplied it, before the key's parser sees it.

/// A raw value: text from the environment or a flag, or a typed JSON scalar from a file.
package enum ConfigurationInput: Sendable, Equatable, CustomStringConvertible {
    case text(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)

    /// The value as the operator wrote it, for error messages.
    package var description: String {
        switch self {
        case .text(let text): return text
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .boolean(let value): return String(value)
        }
    }
}
