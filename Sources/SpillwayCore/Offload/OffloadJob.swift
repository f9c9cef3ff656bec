// One transfer job between caller rows and the disk tier, and its result.

/// A store (rows to disk) or a load (disk into rows) of several blocks, one key per row.
public struct OffloadJob: Sendable {
    public enum Kind: Sendable { case store, load }

    public var id: UInt64
    public var kind: Kind
    public var keys: [BlockKey]
    /// Row index of each key (same length as `keys`).
    public var rows: [Int]

    public init(id: UInt64, kind: Kind, keys: [BlockKey], rows: [Int]) {
        self.id = id
        self.kind = kind
        self.keys = keys
        self.rows = rows
    }
}

/// What became of a job: reported exactly once per submitted job.
public struct OffloadJobResult: Equatable, Sendable {
    public var id: UInt64
    public var kind: OffloadJob.Kind
    /// Per key, in the job's order: stored (or already held), or loaded and verified.
    public var keySucceeded: [Bool]
    /// Bytes moved by this job (rows written to or read from disk; skipped keys count 0).
    public var byteCount: Int
    /// Nanoseconds from the job's start on the I/O thread to its last completion.
    public var transferNanoseconds: UInt64

    public var isSuccess: Bool { !keySucceeded.contains(false) }

    public init(
        id: UInt64, kind: OffloadJob.Kind, keySucceeded: [Bool], byteCount: Int,
        transferNanoseconds: UInt64
    ) {
        self.id = id
        self.kind = kind
        self.keySucceeded = keySucceeded
        self.byteCount = byteCount
        self.transferNanoseconds = transferNanoseconds
    }
}

/// A lookup's answer.
public enum OffloadLookup: Int32, Sendable {
    /// Not held (or a load of it failed since).
    case miss = 0
    /// Held and readable now.
    case hit = 1
    /// A store of the key is in flight: ask again.
    case pending = 2
}
