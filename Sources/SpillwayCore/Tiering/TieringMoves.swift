// The keys one tiering operation moved, which the manager turns into vLLM events.

/// Keys a `TieringCore` moved, in the order it moved them (for events).
public struct TieringMoves: Sendable, Equatable {
    /// Evicted from primary, least recent first.
    public var evicted: [BlockKey] = []
    /// Written to disk.
    public var diskStored: [BlockKey] = []
    /// Evicted from disk.
    public var diskRemoved: [BlockKey] = []

    public init() {}
}
