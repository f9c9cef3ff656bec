// Counters of the real data path: bytes moved, verification results, failures it absorbed.
import SpillwayCore

/// What a `RegionDiskDataPath` did. Row bytes are logical (whole rows); `disk*Bytes` are
/// what the disk tier moved (record headers, page rounding, compression included).
public struct DataPathStats: Sendable, Equatable {
    /// Rows spilled to disk successfully (`blockBytes` each).
    public var rowsWritten = 0
    /// Rows promoted from disk and verified (`blockBytes` each).
    public var rowsRead = 0
    /// Row bytes written to disk (`rowsWritten * blockBytes`).
    public var bytesWritten = 0
    /// Row bytes read back from disk (`rowsRead * blockBytes`).
    public var bytesRead = 0
    /// Promoted rows whose bytes differed from the block's deterministic payload although the
    /// disk tier verified them. Each was failed (never served); must stay 0.
    public var verifyFailures = 0
    /// Asynchronous spills that failed after the engine counted them; the disk tier dropped
    /// the block, so a later promotion of it fails (a miss) instead of serving it.
    public var spillFailures = 0
    /// Disk loads that failed (I/O error, checksum, missing record): each became a miss.
    public var loadFailures = 0
    /// Blocks the disk tier evicted by itself. The tier is sized so this never happens (the
    /// engine owns disk membership); must stay 0.
    public var diskSelfEvictions = 0
    /// Loads whose result was discarded because an earlier load of the batch failed.
    public var discardedLoads = 0

    public init() {}
}
