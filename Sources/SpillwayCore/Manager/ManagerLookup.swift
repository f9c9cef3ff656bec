// The answer of PrimaryTierManager.lookup: how many leading blocks are stored, how many of
// them must first be promoted from disk, or "retry" while a promotion is in flight.

/// Result of `PrimaryTierManager.lookup(_:)`.
///
/// - miss: `.hit(count: 0, pending: 0)`.
/// - hit: `.hit(count: n, pending: 0)`: the first n keys are readable in primary now;
///   `prepareLoad` them.
/// - hit-pending: `.hit(count: n, pending: p)` with p > 0: the first n keys are stored, p of
///   them only on disk; `preparePromotion` the n keys (gives the disk-only ones rows), do the
///   reads, `completePromotion`, then `prepareLoad`.
/// - retry: a leading key is being promoted right now (its row is still being written from
///   disk); ask again after `completePromotion`. This is vLLM's `lookup` returning `None`
///   ("not known yet, retry later").
///
/// The walk stops at the first key that is absent or is being stored (ref count -1 from
/// `prepareStore`), exactly as vLLM's lookup stops at a block that `is_ready` is false for.
public enum ManagerLookup: Sendable, Equatable {
    case hit(count: Int, pending: Int)
    case retry

    /// Leading keys stored (0 for `.retry`).
    public var count: Int {
        if case .hit(let count, _) = self { return count }
        return 0
    }
}
