// The error for a configuration file that is missing, unreadable, malformed or has unknown keys.

/// A configuration source that cannot be read at all (as opposed to one bad value, which
/// is a `ConfigurationError`).
public struct ConfigurationFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file path, or the flag for command-line problems.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "config \(path): \(message)" }
}
