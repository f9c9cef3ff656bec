// A finished job of the tiered store, as `poll` / `wait` / `drain` hand it back.
import SpillwayCore

/// One finished store or load job of a `TieredStore`.
public struct TieredJobResult: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case store
        case load
    }
    /// The caller's job id.
    public var job: UInt64
    public var kind: Kind
    /// Store: the keys written into rows (keys already in primary are skipped). Load: the
    /// leading keys found, readable now in `rows` and pinned until `releaseLoad(_:)`.
    public var keys: [BlockKey]
    /// Primary rows of `keys`, in order.
    public var rows: [Int32]
    /// Load: disk reads of the job that failed (those blocks were dropped and are misses).
    public var failedKeys: [BlockKey]

    public init(
        job: UInt64, kind: Kind, keys: [BlockKey], rows: [Int32], failedKeys: [BlockKey] = []
    ) {
        self.job = job
        self.kind = kind
        self.keys = keys
        self.rows = rows
        self.failedKeys = failedKeys
    }
}
