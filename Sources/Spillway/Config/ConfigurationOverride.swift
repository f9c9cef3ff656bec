// A configuration value set on the command line, with the flag that set it.

/// `--set disk.queue_depth=64` or a dedicated flag such as `--primary-bytes 1GiB`.
public struct ConfigurationOverride: Sendable, Equatable {
    /// Dotted key name.
    public var key: String
    /// The value as typed.
    public var value: String
    /// The flag spelling, shown as the value's source (`--primary-bytes`, `--set`).
    public var flag: String

    public init(key: String, value: String, flag: String) {
        self.key = key
        self.value = value
        self.flag = flag
    }

    /// Parses a `--set` argument `KEY=VALUE`.
    ///
    /// - Throws: `ConfigurationFileError` when there is no `=` or the key is empty.
    public init(assignment: String) throws {
        guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
            throw ConfigurationFileError(
                path: "--set",
                message: "'\(assignment)' is not KEY=VALUE (e.g. --set disk.queue_depth=64)")
        }
        self.init(
            key: String(assignment[..<equals]),
            value: String(assignment[assignment.index(after: equals)...]),
            flag: "--set")
    }
}
