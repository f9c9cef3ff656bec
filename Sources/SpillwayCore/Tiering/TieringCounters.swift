// The replay counters of docs/SEMANTICS.md, kept by the tiering engine.

/// Counters of a `TieringEngine` run; names follow docs/SEMANTICS.md (JSON names in
/// `ReplayCounters`).
public struct TieringCounters: Sendable, Equatable, Codable {
    public var requests = 0
    /// Block references processed (sum of request lengths).
    public var blocks = 0
    public var hitPrimary = 0
    public var hitDisk = 0
    public var miss = 0
    public var stored = 0
    public var storeSkipped = 0
    /// Blocks written to disk (spilled victims, or write-through stores).
    public var diskWrites = 0
    /// Blocks promoted from disk into primary (successful reads only).
    public var diskReads = 0
    public var primaryEvictions = 0
    public var diskEvictions = 0
    public var promoteFailed = 0
    /// Promotions whose disk read failed (data path `.failed`); each such block was dropped
    /// from both tiers and its access counted as a miss. Always 0 in simulation.
    public var diskReadFailures = 0
    /// Disk writes that failed; the block got no disk copy. Always 0 in simulation.
    public var diskWriteFailures = 0

    public init() {}

    /// Hits over block references (0 when no blocks).
    public var hitRate: Double { blocks == 0 ? 0 : Double(hitPrimary + hitDisk) / Double(blocks) }
}
