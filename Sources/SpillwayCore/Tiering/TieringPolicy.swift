// When blocks are written to the disk tier: on primary eviction (spill) or on store.

/// The tiering policy (docs/SEMANTICS.md, Tiering policies).
public enum TieringPolicy: String, Sendable, Codable, CaseIterable {
    /// Default. A block evicted from primary is written to disk unless a copy is already
    /// there; nothing is written on store.
    case spill
    /// A block is written to disk when it is stored; eviction never writes.
    case writeThrough = "write-through"
}
