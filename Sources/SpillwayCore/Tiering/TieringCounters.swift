// The replay counters of docs/SEMANTICS.md, kept by the tiering engine.

/// Counters of a `TieringEngine` run; names follow docs/SEMANTICS.md (JSON names in
/// `ReplayCounters`).
package struct TieringCounters: Sendable, Equatable, Codable {
    package var requests = 0
    /// Block references processed (sum of request lengths).
    package var blocks = 0
    package var hitPrimary = 0
    package var hitDisk = 0
    package var miss = 0
    package var stored = 0
    package var storeSkipped = 0
    /// Blocks written to disk (spilled victims, or write-through stores).
    package var diskWrites = 0
    /// Blocks promoted from disk into primary (successful reads only).
    package var diskReads = 0
    package var primaryEvictions = 0
    package var diskEvictions = 0
    package var promoteFailed = 0
    /// Promotions whose disk read failed (data path `.failed`); each such block was dropped
    /// from both tiers and its access counted as a miss. Always 0 in simulation.
    package var diskReadFailures = 0
    /// Disk writes that failed; the block got no disk copy. Always 0 in simulation.
    package var diskWriteFailures = 0

    package init() {}

    /// Hits over block references (0 when no blocks).
    package var hitRate: Double { blocks == 0 ? 0 : Double(hitPrimary + hitDisk) / Double(blocks) }
}
