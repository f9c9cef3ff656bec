// A disk tier an engine can drive from any thread: lookups answered at once from memory,
// store and load jobs moved by a native I/O thread that makes progress on its own, results
// polled. What the C ABI (`spillway.h`) and the Python package expose.
import SpillwayCore
import SpillwaySystem

/// A thread-safe offload tier over caller-owned rows and a `DiskTier`.
///
/// **Threads**: every method may be called from any thread (one lock guards the caller-side
/// state). A native I/O thread owns the disk tier: it starts jobs, keeps the kernel's queue
/// full and reaps completions while the caller does something else, so transfers advance
/// between the caller's calls. The caller's threads never block on I/O except in `drain`,
/// `sync` and `close`.
///
/// **Rows**: a store reads its rows and a load writes its rows until the job's result has
/// been returned by `poll`/`drain`; the caller must keep them valid and untouched until then.
///
/// **Lifetime**: call `close()` (the C ABI's `spw_tier_close` / `spw_tier_free`): the I/O
/// thread holds the tier until then, like an open descriptor.
///
/// **Semantics** (vLLM's secondary tier): `lookup` answers hit / miss / pending from the
/// in-memory directory; a store skips keys already held or being stored; a failed load
/// makes its keys misses from then on; every submitted job is reported exactly once.
public final class OffloadTier<IO: IOBackend>: @unchecked Sendable {
    private let lock = ConditionLock()
    private let worker: OffloadWorker<IO>
    private let rowCount: Int
    private var thread: NativeThread?

    // Guarded by `lock`.
    private var directory: OffloadDirectory
    private var commands: [Command] = []
    private var results: [OffloadJobResult] = []
    /// Ids of the jobs in `results`: an id stays taken until its result was polled.
    private var unpolledIDs: Set<UInt64> = []
    private var workerStats: OffloadTierStats
    private var lookupHits = 0, lookupMisses = 0, lookupPending = 0
    private var stopping = false
    private var closed = false
    private var failure: OffloadTierError?
    private var syncsRequested = 0
    private var syncsDone = 0
    private var syncError: OffloadTierError?
    private var recordsRemovals = false
    private var removedKeys: [BlockKey] = []

    private enum Command {
        case start(OffloadJob, writes: [Bool])
        case sync
    }

    /// Starts the I/O thread over `worker` (which must not be used by anyone else from now).
    /// - Throws: `.openFailed` when the thread cannot start.
    package init(worker: OffloadWorker<IO>) throws {
        self.worker = worker
        self.rowCount = worker.memory.rowCount
        self.directory = OffloadDirectory(held: worker.tier.keysLeastRecentFirst())
        self.workerStats = worker.stats
        do {
            thread = try NativeThread { [self] in self.run() }
        } catch {
            throw OffloadTierError(.openFailed, "\(error)")
        }
    }

    /// Hit, miss or pending (a store of the key is in flight), from memory, at once.
    public func lookup(_ key: BlockKey) -> OffloadLookup {
        lock.withLock {
            let answer = directory.lookup(key)
            switch answer {
            case .hit: lookupHits += 1
            case .miss: lookupMisses += 1
            case .pending: lookupPending += 1
            }
            return answer
        }
    }

    /// Queues a job for the I/O thread and returns at once.
    /// - Throws: `.invalidArgument` (row out of range, lengths differ), `.duplicateJob`,
    ///   `.closed`, or the backend failure that stopped the tier. Nothing is queued then.
    public func submit(_ job: OffloadJob) throws {
        try lock.withLock {
            try checkOpen()
            guard !unpolledIDs.contains(job.id) else {
                throw OffloadTierError(
                    .duplicateJob,
                    "job id \(job.id) finished but was not polled yet: use a fresh id per job")
            }
            let writes = try directory.admit(job, rowCount: rowCount)
            commands.append(.start(job, writes: writes))
            lock.broadcast()
        }
    }

    /// Finished jobs since the last call, oldest first, each reported exactly once: at
    /// most `resultLimit` jobs whose keys add up to at most `keyLimit` (the rest wait for
    /// the next call; a job with more keys than `keyLimit` alone is never returned, so pass
    /// at least the largest job's key count).
    public func poll(resultLimit: Int = .max, keyLimit: Int = .max) -> [OffloadJobResult] {
        lock.withLock {
            var count = 0
            var keys = 0
            while count < min(resultLimit, results.count),
                keys + results[count].keySucceeded.count <= keyLimit
            {
                keys += results[count].keySucceeded.count
                count += 1
            }
            let taken = Array(results.prefix(count))
            results.removeFirst(count)
            for result in taken { unpolledIDs.remove(result.id) }
            return taken
        }
    }

    /// Jobs submitted and not yet returned by `poll`.
    public var unreportedJobCount: Int {
        lock.withLock { directory.inFlightJobCount + results.count }
    }

    /// Jobs submitted whose transfers have not finished (their rows may still be in use).
    public var runningJobCount: Int {
        lock.withLock { directory.inFlightJobCount }
    }

    /// Blocks until no transfer touches caller rows: every submitted job has finished and
    /// waits in `poll`.
    public func drain() {
        lock.withLock {
            while directory.inFlightJobCount > 0, failure == nil { lock.wait() }
        }
    }

    /// Makes every block stored so far durable (a checkpoint), waiting for transfers.
    /// - Throws: `.syncFailed`, `.closed`.
    public func sync() throws {
        try lock.withLock {
            try checkOpen()
            syncsRequested += 1
            let ticket = syncsRequested
            commands.append(.sync)
            lock.broadcast()
            while syncsDone < ticket, failure == nil { lock.wait() }
            if let failure { throw failure }
            if let error = syncError {
                syncError = nil
                throw error
            }
        }
    }

    /// Whether keys that leave the tier (evicted, or dropped after a failed load) are kept
    /// for `takeRemovedKeys` (for an engine's KV events). Off by default: nobody would
    /// take them.
    public var recordsRemovedKeys: Bool {
        get { lock.withLock { recordsRemovals } }
        set {
            lock.withLock {
                recordsRemovals = newValue
                if !newValue { removedKeys.removeAll() }
            }
        }
    }

    /// Keys that left the tier since the last call (at most `limit`, oldest first), while
    /// `recordsRemovedKeys` is on.
    public func takeRemovedKeys(limit: Int = .max) -> [BlockKey] {
        lock.withLock {
            let count = min(limit, removedKeys.count)
            let taken = Array(removedKeys.prefix(count))
            removedKeys.removeFirst(count)
            return taken
        }
    }

    /// Counters since open and the current gauges.
    public func stats() -> OffloadTierStats {
        lock.withLock {
            var stats = workerStats
            stats.lookupHits = lookupHits
            stats.lookupMisses = lookupMisses
            stats.lookupPending = lookupPending
            return stats
        }
    }

    /// Finishes every job, stops the I/O thread, syncs and closes the disk tier. Jobs
    /// finished but not polled are dropped. Idempotent.
    /// - Throws: `.syncFailed` when the final sync fails (blocks stored since the last
    ///   durable point may then be lost on a crash; the files are closed either way).
    public func close() throws {
        let alreadyClosed = lock.withLock {
            let was = closed
            closed = true
            stopping = true
            lock.broadcast()
            return was
        }
        guard !alreadyClosed else { return }
        thread?.join()
        thread = nil
        do { try worker.tier.close() } catch {
            throw OffloadTierError(.syncFailed, "closing the disk tier failed: \(error)")
        }
    }

    private func checkOpen() throws {
        if closed { throw OffloadTierError(.closed, "the tier is closed") }
        if let failure { throw failure }
    }

    // MARK: The I/O thread

    private func run() {
        var taken: [Command] = []
        var events: [OffloadKeyEvent] = []
        var finished: [OffloadFinishedJob] = []
        while true {
            let idle = worker.isIdle
            let stop: Bool = lock.withLock {
                while commands.isEmpty, idle, !stopping { lock.wait() }
                swap(&taken, &commands)
                return stopping && idle && taken.isEmpty
            }
            if stop { return }
            var syncs = 0
            var syncFailure: OffloadTierError?
            var fatal: OffloadTierError?
            for command in taken {
                switch command {
                case .start(let job, let writes): worker.start(job, writes: writes)
                case .sync:
                    syncs += 1
                    do { try worker.sync() } catch let error as OffloadTierError {
                        syncFailure = error
                    } catch {}
                }
            }
            taken.removeAll(keepingCapacity: true)
            do {
                try worker.progress(wait: !worker.isIdle)
            } catch let error as OffloadTierError {
                if error.code == .syncFailed {
                    syncFailure = error
                } else {
                    fatal = error
                    worker.abandonAll()
                }
            } catch {}
            worker.takeOutput(events: &events, finished: &finished)
            lock.withLock {
                for event in events {
                    let wasHeld = directory.apply(event)
                    if recordsRemovals, wasHeld, case .removed(let key) = event {
                        removedKeys.append(key)
                    }
                }
                for done in finished {
                    directory.finish(done.job, writes: done.writes)
                    results.append(done.result)
                    unpolledIDs.insert(done.result.id)
                }
                workerStats = worker.stats
                syncsDone += syncs
                if let syncFailure { syncError = syncFailure }
                if let fatal {
                    failure = fatal
                    stopping = true
                }
                lock.broadcast()
            }
            events.removeAll(keepingCapacity: true)
            finished.removeAll(keepingCapacity: true)
            if fatal != nil { return }
        }
    }
}
