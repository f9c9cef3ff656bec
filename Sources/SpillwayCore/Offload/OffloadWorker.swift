// The I/O half of an offload tier: owns the disk tier, turns jobs into per-block stores and
// loads against caller rows, and reports key events and finished jobs. Single owner, no
// threads of its own: the threaded `OffloadTier` drives it from its I/O thread, and tests
// drive it directly over `SimulatedIO`.

/// A finished job with the write mask it was admitted with.
package struct OffloadFinishedJob: Sendable {
    package var job: OffloadJob
    package var writes: [Bool]
    package var result: OffloadJobResult
}

/// Moves rows of a `RowMemory` to and from a `DiskTier`, one job at a time per block, as
/// many blocks in flight as the tier has job slots.
///
/// Recency: a store of a held key and a load both make the block most recent in the disk
/// tier (the tier evicts least recently used blocks to stay within its capacity).
/// Durability: every `syncIntervalBlocks` stored blocks (0: never) the tier is synced;
/// `close()` always syncs.
package final class OffloadWorker<IO: IOBackend> {
    package let tier: DiskTier<IO>
    package let memory: RowMemory
    package var syncIntervalBlocks: Int
    package private(set) var stats = OffloadTierStats()

    private struct ActiveJob {
        var job: OffloadJob
        var writes: [Bool]
        var succeeded: [Bool]
        var remaining: Int
        var byteCount = 0
        var start: ContinuousClock.Instant
    }

    private struct Operation {
        var jobID: UInt64
        var index: Int
    }

    private var active: [UInt64: ActiveJob] = [:]
    private var waiting: [Operation] = []
    private var waitingHead = 0
    private var tokens: [UInt64: Operation] = [:]
    private var nextToken: UInt64 = 1
    private var completions: [DiskCompletion] = []
    private var events: [OffloadKeyEvent] = []
    private var finished: [OffloadFinishedJob] = []
    private var storedSinceSync = 0
    private let clock = ContinuousClock()

    /// - Throws: `.invalidArgument` when rows are larger than the tier's largest block.
    package init(tier: DiskTier<IO>, memory: RowMemory, syncIntervalBlocks: Int) throws {
        guard memory.rowStride <= tier.blockByteCountMax else {
            throw OffloadTierError(
                .invalidArgument,
                "rows of \(memory.rowStride) bytes exceed the tier's largest block (\(tier.blockByteCountMax) bytes)"
            )
        }
        self.tier = tier
        self.memory = memory
        self.syncIntervalBlocks = max(0, syncIntervalBlocks)
        tier.evictionHandler = { [unowned self] key in
            self.events.append(.removed(key))
            self.stats.blocksEvicted += 1
        }
        refreshGauges()
    }

    /// No job active, nothing waiting for a job slot, nothing in flight.
    package var isIdle: Bool { active.isEmpty && tier.inFlightJobCount == 0 }

    /// Starts a job admitted by `OffloadDirectory.admit` (rows already validated).
    package func start(_ job: OffloadJob, writes: [Bool]) {
        var state = ActiveJob(
            job: job, writes: writes, succeeded: Array(repeating: false, count: job.keys.count),
            remaining: 0, start: clock.now)
        switch job.kind {
        case .store:
            stats.jobsStore += 1
            for index in job.keys.indices {
                if writes[index] {
                    state.remaining += 1
                    waiting.append(Operation(jobID: job.id, index: index))
                } else {
                    // Held (or being stored by an earlier job): recency only.
                    state.succeeded[index] = true
                    stats.blocksStoreSkipped += 1
                    tier.touch(job.keys[index])
                }
            }
        case .load:
            stats.jobsLoad += 1
            for index in job.keys.indices {
                state.remaining += 1
                waiting.append(Operation(jobID: job.id, index: index))
            }
        }
        active[job.id] = state
        if state.remaining == 0 { finish(job.id) }
    }

    /// Submits what fits, then handles completions; with `wait`, blocks until at least one
    /// completes when something is in flight.
    /// - Throws: `OffloadTierError.ioFailed` when the backend itself failed, or
    ///   `.syncFailed` when an interval sync failed.
    package func progress(wait: Bool) throws {
        submitWaiting()
        completions.removeAll(keepingCapacity: true)
        do {
            if wait {
                try tier.wait(into: &completions, minimum: 1)
            } else {
                try tier.poll(into: &completions)
            }
        } catch {
            throw OffloadTierError(.ioFailed, "disk tier I/O failed: \(error)")
        }
        for completion in completions { handle(completion) }
        submitWaiting()
        if syncIntervalBlocks > 0, storedSinceSync >= syncIntervalBlocks {
            try sync()
        }
    }

    /// Makes every stored block durable (waits for transfers in flight; their completions
    /// are handled by the next `progress`).
    package func sync() throws {
        do { try tier.sync() } catch {
            throw OffloadTierError(.syncFailed, "disk tier sync failed: \(error)")
        }
        storedSinceSync = 0
        stats.syncs += 1
    }

    /// Takes the key events and finished jobs produced since the last call.
    package func takeOutput(
        events: inout [OffloadKeyEvent], finished: inout [OffloadFinishedJob]
    ) {
        events.append(contentsOf: self.events)
        self.events.removeAll(keepingCapacity: true)
        finished.append(contentsOf: self.finished)
        self.finished.removeAll(keepingCapacity: true)
        refreshGauges()
    }

    /// Ends every active job as failed without touching its rows again. Only for a backend
    /// that failed: no transfer can complete any more.
    package func abandonAll() {
        for id in Array(active.keys) { finish(id) }
        waiting.removeAll()
        waitingHead = 0
        tokens.removeAll()
    }

    private func refreshGauges() {
        stats.blocksHeld = tier.blockCount
        stats.bytesUsed = tier.usedBytes
        stats.capacityBytes = tier.capacityBytes
        stats.usesDirectIO = tier.io.requiredAlignment > 1
        stats.blocksZeroCopyStored = tier.stats.zeroCopyStores
        stats.blocksZeroCopyLoaded = tier.stats.zeroCopyLoads
        stats.blocksCompressed = tier.stats.blocksCompressed
        stats.blocksStoredRawBackpressure = tier.stats.blocksStoredRawBackpressure
        stats.bytesGivenUpBackpressure = tier.stats.estimatedBytesGivenUpBackpressure
        stats.blocksStoredRawIncompressible = tier.stats.blocksStoredRawIncompressible
    }

    private func submitWaiting() {
        while waitingHead < waiting.count {
            let operation = waiting[waitingHead]
            guard let state = active[operation.jobID] else {
                waitingHead += 1
                continue
            }
            let key = state.job.keys[operation.index]
            let row = memory.row(state.job.rows[operation.index])
            let token = nextToken
            let accepted: Bool
            switch state.job.kind {
            case .store:
                accepted = tier.submitStore(key: key, bytes: UnsafeRawBufferPointer(row), token: token)
            case .load:
                tier.touch(key)
                accepted = tier.submitLoad(key: key, into: row, token: token)
            }
            guard accepted else { break }
            nextToken += 1
            tokens[token] = operation
            waitingHead += 1
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
    }

    private func handle(_ completion: DiskCompletion) {
        guard let operation = tokens.removeValue(forKey: completion.token),
            var state = active[operation.jobID]
        else { return }
        let index = operation.index
        switch completion.outcome {
        case .store(.stored):
            state.succeeded[index] = true
            state.byteCount += memory.rowStride
            stats.blocksStored += 1
            stats.bytesWritten += memory.rowStride
            storedSinceSync += 1
            events.append(.stored(completion.key))
        case .store(.failed):
            stats.blocksStoreFailed += 1
            events.append(.removed(completion.key))
        case .load(.loaded):
            state.succeeded[index] = true
            state.byteCount += memory.rowStride
            stats.blocksLoaded += 1
            stats.bytesRead += memory.rowStride
        case .load(let outcome):
            stats.blocksLoadFailed += 1
            if case .failed(let failure) = outcome {
                switch failure {
                case .checksumMismatch, .keyMismatch, .staleRecord: stats.blocksCorrupt += 1
                case .bufferTooSmall: tier.remove(completion.key)
                case .shortRead, .ioError: break
                }
            }
            // Every failed load is a miss from now on (the tier dropped the block).
            events.append(.removed(completion.key))
        }
        state.remaining -= 1
        active[operation.jobID] = state
        if state.remaining == 0 { finish(operation.jobID) }
    }

    private func finish(_ id: UInt64) {
        guard let state = active.removeValue(forKey: id) else { return }
        let elapsed = clock.now - state.start
        let nanoseconds =
            UInt64(max(0, elapsed.components.seconds)) * 1_000_000_000
            + UInt64(max(0, elapsed.components.attoseconds / 1_000_000_000))
        finished.append(
            OffloadFinishedJob(
                job: state.job, writes: state.writes,
                result: OffloadJobResult(
                    id: id, kind: state.job.kind, keySucceeded: state.succeeded,
                    byteCount: state.byteCount, transferNanoseconds: nanoseconds)))
    }
}
