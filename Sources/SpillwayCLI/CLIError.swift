// An operating error of the CLI whose message says what to do; exits with status 1.

/// A message for the operator; ArgumentParser prints it to stderr as `Error: ...`, exit 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
