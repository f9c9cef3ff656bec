// Operating errors of the disk tier (opening, syncing): typed, with what to do about them.

/// An error opening, syncing or closing a disk tier. Per-block failures are outcomes, never
/// these.
public struct DiskTierError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// No tier in the directory and no capacity given to create one.
        case notFound
        /// Index files exist but neither checkpoint is valid.
        case indexCorrupt
        /// The options are out of range.
        case invalidOptions
        /// The backend failed outside the data path (open, reserve, ...).
        case backend
        /// A sync could not make the tier durable (fdatasync or checkpoint write failed).
        case syncFailed
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
