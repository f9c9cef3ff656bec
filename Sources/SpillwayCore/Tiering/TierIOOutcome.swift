// The outcome of one block transfer through the data path: a value, never a throw.

/// Result of one data-path transfer of a block.
public enum TierIOOutcome: Sendable, Equatable {
    /// The bytes moved and (for reads) verified.
    case completed
    /// The transfer failed (I/O error, checksum mismatch, short read). The engine drops the
    /// affected copy and counts the failure; see `TieringEngine`.
    case failed
}
