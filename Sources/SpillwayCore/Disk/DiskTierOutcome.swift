// Per-block outcomes of the disk tier: stores, loads, and the completions of async jobs.

/// Why a store failed. The block is not on disk afterwards (an older copy under the same
/// key is gone too: a store replaces).
public enum DiskStoreFailure: Equatable, Sendable {
    /// Larger than the tier's `blockByteCountMax`.
    case tooLarge
    /// No room could be made: every block that could be evicted was being read or written,
    /// or the block is larger than the whole data file (then nothing is evicted).
    case noRoom
    /// A store of the same key is already in flight.
    case busy
    /// The device reported ENOSPC.
    case deviceFull
    /// The device reported another error (negative errno) or kept making no progress.
    case ioError(errno: Int32)
}

/// Why a load failed. Every cause except `bufferTooSmall` also removes the block from the
/// tier and is counted in `DiskTierStats`; the caller's buffer holds no block bytes of
/// meaning (it may have been partly overwritten).
public enum DiskLoadFailure: Equatable, Sendable {
    /// Header or payload CRC32C mismatch, or a payload that does not decode.
    case checksumMismatch
    /// The record on disk belongs to another key.
    case keyMismatch
    /// The record on disk has the right key but another sequence number, length or CRC than
    /// the index expects: an older or newer write of the extent (e.g. reused after a crash).
    case staleRecord
    /// The file ended before the extent did.
    case shortRead
    /// The device reported an error (negative errno).
    case ioError(errno: Int32)
    /// The caller's buffer is smaller than the block (`needed` bytes); the block stays.
    case bufferTooSmall(needed: Int)
}

/// The outcome of a store.
public enum DiskStoreOutcome: Equatable, Sendable {
    case stored
    case failed(DiskStoreFailure)
}

/// The outcome of a load.
public enum DiskLoadOutcome: Equatable, Sendable {
    /// `byteCount` bytes (the block's raw length) are in the caller's buffer, verified.
    case loaded(byteCount: Int)
    /// The key is not in the tier (or is still being written).
    case miss
    case failed(DiskLoadFailure)
}

/// The outcome of an async job.
public enum DiskJobOutcome: Equatable, Sendable {
    case store(DiskStoreOutcome)
    case load(DiskLoadOutcome)
}

/// One finished async job: the caller's token, the key, and what happened.
public struct DiskCompletion: Equatable, Sendable {
    public var token: UInt64
    public var key: BlockKey
    public var outcome: DiskJobOutcome
    public init(token: UInt64, key: BlockKey, outcome: DiskJobOutcome) {
        self.token = token
        self.key = key
        self.outcome = outcome
    }
}
