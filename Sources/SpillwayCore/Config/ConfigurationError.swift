// The error for a configuration value that is out of range, malformed or unknown.

/// A configuration value that cannot be used. The message names the key, the bad value,
/// where it came from and the allowed range, so the operator can fix it in one step.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted key, e.g. `disk.queue_depth`.
    public var key: String
    /// The offending value as the operator wrote it (or as the effective value prints).
    public var value: String
    /// What is allowed, e.g. `an integer in 1...4096`.
    public var allowed: String
    /// Where the value came from, when known.
    public var source: ConfigValueSource?
    /// Why the value is refused, when more specific than "not allowed".
    public var reason: String?

    public init(
        key: String, value: String, allowed: String, source: ConfigValueSource? = nil,
        reason: String? = nil
    ) {
        self.key = key
        self.value = value
        self.allowed = allowed
        self.source = source
        self.reason = reason
    }

    public var description: String {
        var text = "config key '\(key)' has bad value '\(value)'"
        if let source { text += " (from \(source))" }
        if let reason { text += ": \(reason)" }
        text += "; allowed: \(allowed)"
        return text
    }
}
