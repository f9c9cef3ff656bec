// The seam between the directory's decisions and the bytes: the engine calls it for every
// block movement, a no-op implementation gives the pure simulation.

/// Moves block bytes when the `TieringEngine` moves blocks. The engine has already updated
/// (or is about to update) the directory; the data path only moves bytes, in the order given.
///
/// Rows are primary-region row indices (`0..<primaryBlocks`); records are disk-tier record
/// indices (`0..<diskBlocks`), both from the directory's allocators (fresh first, then last
/// freed). A row handed to `rowFreed` may be handed out again by the very next call, so an
/// implementation must finish reading a row (e.g. `copyToDisk`) before returning.
///
/// Call order per event (the coordinator's data mode relies on it):
/// - store: `writeRow(key, row)`; under write-through then `copyToDisk(key, row, record)`.
/// - primary eviction: under spill, when not already on disk, a disk victim's
///   `removeFromDisk` (if disk is full) then `copyToDisk(victim, row, record)`; always then
///   `rowFreed(victim, row)`.
/// - promotion: `loadFromDisk(key, record, row)`; on `.failed` the engine calls
///   `rowFreed(key, row)` and `removeFromDisk(key, record)` and drops the block. With
///   `prefetchesLoads`, the whole batch's `prefetchLoad` calls come first (see there).
/// - disk eviction: `removeFromDisk(key, record)` before the record is reused.
public protocol TierDataPath: AnyObject {
    /// Writes the block's bytes (a new block being stored) into primary `row`.
    func writeRow(_ key: BlockKey, row: Int32)
    /// Copies primary `row` to disk `record` for `key`. `.failed` means no disk copy exists
    /// afterwards (the engine frees the record and counts `diskWriteFailures`).
    func copyToDisk(_ key: BlockKey, row: Int32, record: Int32) -> TierIOOutcome
    /// Loads `key` from disk `record` into primary `row`, verifying it. `.failed` turns the
    /// access into a miss: the engine drops the block from both tiers and counts
    /// `diskReadFailures`.
    func loadFromDisk(_ key: BlockKey, record: Int32, row: Int32) -> TierIOOutcome
    /// Forgets the disk copy of `key` in `record` (evicted or found bad).
    func removeFromDisk(_ key: BlockKey, record: Int32)
    /// Primary `row` no longer holds `key` and may be reused.
    func rowFreed(_ key: BlockKey, row: Int32)

    /// Whether the engine announces each promotion batch through `prefetchLoad` before the
    /// batch's `loadFromDisk` calls, so the reads can be in flight together. False (the
    /// default) keeps the one-at-a-time promotion loop; the simulation pays nothing.
    static var prefetchesLoads: Bool { get }
    /// Starts loading `key` from disk `record` into primary `row` (batching hook; only when
    /// `prefetchesLoads`). Each prefetch is followed by exactly one `loadFromDisk` with the
    /// same arguments, which then waits for and returns the result, or, when an earlier load
    /// of the batch failed, by `rowFreed(key, row)`, which must discard the load (and wait for
    /// it before returning: the row may be reused at once). The disk copy stays either way.
    func prefetchLoad(_ key: BlockKey, record: Int32, row: Int32)
}

extension TierDataPath {
    public static var prefetchesLoads: Bool { false }
    public func prefetchLoad(_ key: BlockKey, record: Int32, row: Int32) {}
}

/// The data path of the pure simulation: moves nothing, never fails.
public final class SimulatedDataPath: TierDataPath {
    public init() {}
    @inline(__always) public func writeRow(_ key: BlockKey, row: Int32) {}
    @inline(__always) public func copyToDisk(_ key: BlockKey, row: Int32, record: Int32) -> TierIOOutcome { .completed }
    @inline(__always) public func loadFromDisk(_ key: BlockKey, record: Int32, row: Int32) -> TierIOOutcome { .completed }
    @inline(__always) public func removeFromDisk(_ key: BlockKey, record: Int32) {}
    @inline(__always) public func rowFreed(_ key: BlockKey, row: Int32) {}
}
