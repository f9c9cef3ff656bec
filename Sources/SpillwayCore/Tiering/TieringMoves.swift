// The keys one tiering operation moved, which the manager turns into vLLM events.

/// Keys a `TieringCore` moved, in the order it moved them (for events).
package struct TieringMoves: Sendable, Equatable {
    /// Evicted from primary, least recent first.
    package var evicted: [BlockKey] = []
    /// Written to disk.
    package var diskStored: [BlockKey] = []
    /// Evicted from disk.
    package var diskRemoved: [BlockKey] = []

    package init() {}
}
