// Errors of the offload tier's API: a stable code (the C ABI returns it) and a message
// that says what to do.

/// A failed call of the offload tier: bad arguments, a tier that cannot open, or a backend
/// that failed. Per-block outcomes (a miss, a corrupt block) are never errors.
public struct OffloadTierError: Error, CustomStringConvertible, Sendable {
    /// Stable codes; the C ABI (`spillway.h`, `SPW_E_*`) returns their negated raw values.
    public enum Code: Int32, Sendable {
        case invalidArgument = 1
        case duplicateJob = 2
        case closed = 3
        case openFailed = 4
        case ioFailed = 5
        case syncFailed = 6
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
