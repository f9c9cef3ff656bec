// The caller-facing half of an offload tier: which keys are held, which are being stored,
// which jobs are in flight. Answers lookups at once, without touching the disk.

/// What the I/O side tells the directory about a key.
package enum OffloadKeyEvent: Equatable, Sendable {
    /// The key became readable on disk.
    case stored(BlockKey)
    /// The key is gone: evicted, or a load of it failed (corrupt, unreadable, absent).
    case removed(BlockKey)
}

/// Key state for lookups and store admission. Not thread-safe: the owner serialises calls
/// (the threaded `OffloadTier` holds its lock around every call).
///
/// Invariants: a key is in `held` only while the disk tier holds it readable (up to the
/// events not yet applied); `storing[k]` counts admitted stores of `k` not yet finished;
/// a job id is in `inFlight` from admission until it finishes.
package struct OffloadDirectory: Sendable {
    package private(set) var held: Set<BlockKey> = []
    private var storing: [BlockKey: Int] = [:]
    private var inFlight: Set<UInt64> = []

    package init(held: some Sequence<BlockKey>) {
        self.held = Set(held)
    }

    /// Jobs admitted and not yet finished.
    package var inFlightJobCount: Int { inFlight.count }

    package func lookup(_ key: BlockKey) -> OffloadLookup {
        if held.contains(key) { return .hit }
        return storing[key] != nil ? .pending : .miss
    }

    /// Admits a job: validates it against `rowCount` and the jobs in flight.
    /// - Returns: for a store, which keys must be written (false: already held, being
    ///   stored, or repeated earlier in the same job); for a load, all true.
    /// - Throws: `.duplicateJob` for an id in flight, `.invalidArgument` for a row out of
    ///   range or a length mismatch. Nothing is admitted then.
    package mutating func admit(_ job: OffloadJob, rowCount: Int) throws -> [Bool] {
        guard job.keys.count == job.rows.count else {
            throw OffloadTierError(
                .invalidArgument,
                "job \(job.id) has \(job.keys.count) keys but \(job.rows.count) rows")
        }
        guard !inFlight.contains(job.id) else {
            throw OffloadTierError(
                .duplicateJob, "job id \(job.id) is still in flight: use a fresh id per job")
        }
        for row in job.rows where row < 0 || row >= rowCount {
            throw OffloadTierError(
                .invalidArgument,
                "job \(job.id) names row \(row), outside the \(rowCount) rows of the memory")
        }
        inFlight.insert(job.id)
        guard job.kind == .store else { return Array(repeating: true, count: job.keys.count) }
        var writes = Array(repeating: false, count: job.keys.count)
        for (index, key) in job.keys.enumerated()
        where !held.contains(key) && storing[key] == nil {
            writes[index] = true
            storing[key] = 1
        }
        return writes
    }

    /// Applies what the I/O side reported, in order.
    /// - Returns: for a removal, whether the key was held (false: it never became readable).
    @discardableResult
    package mutating func apply(_ event: OffloadKeyEvent) -> Bool {
        switch event {
        case .stored(let key): return held.insert(key).inserted
        case .removed(let key): return held.remove(key) != nil
        }
    }

    /// Ends a job: its stores are no longer pending. (A failed load's keys already left
    /// `held` through the `.removed` event the I/O side reported in order; removing them
    /// here again would undo a store of the same key that completed after the failure.)
    package mutating func finish(_ job: OffloadJob, writes: [Bool]) {
        inFlight.remove(job.id)
        guard job.kind == .store else { return }
        for (index, key) in job.keys.enumerated() where writes[index] {
            storing[key] = nil
        }
    }
}
