// The parallel data-file fdatasyncs of a striped tier's sync carry user data from the top
// of the range, never a job index (DiskTier+Sync.swift, `syncDataFiles`): interrupted and
// reordered sync completions retry the right file, and a sync left in flight by a refused
// submit or a failed reap is never taken for a store or load job: the job loop discards its
// completions and the next sync waits for them, then syncs anew.
import Glibc
import SpillwayCore
import SpillwayTesting
import Testing

/// Wraps a SimulatedIO with several directories. Submits or reaps that throw on demand (the
/// requests stay prepared, or completed and unreaped, as the IOBackend contract says);
/// EINTR or EIO on chosen data-file fdatasyncs of a sync (those not tagged `UInt64.max`,
/// retries included); and,
/// with `oneAtATime`, a device that hands out one completion per reap beyond the minimum
/// asked for, in submission order, so what one call leaves behind meets the next; with
/// `partialReap`, a reap that hands over the completions at hand it picks, then throws. Like a
/// real backend it refuses a request once `queueDepth` are outstanding (prepared, or
/// completed and not yet handed over).
final class SyncTagIO: IOBackend {
    let inner: SimulatedIO
    var submitFailures = 0
    var reapFailures = 0
    var oneAtATime = false
    /// Indices (0-based, over the run) of the parallel data-file syncs answered with -EINTR.
    var interruptedSyncs: Set<Int> = []
    /// Indices of the parallel data-file syncs answered with -EIO.
    var failedSyncs: Set<Int> = []
    /// When set, the next reap hands over the completions at hand this picks (the rest stay
    /// for later reaps), then throws; it is cleared then.
    var partialReap: ((IOCompletion) -> Bool)?
    private(set) var parallelSyncs = 0
    private var injected: [IOCompletion] = []
    private var staged: [IOCompletion] = []
    private var pending: [IOCompletion] = []

    init(inner: SimulatedIO) { self.inner = inner }

    var requiredAlignment: Int { inner.requiredAlignment }
    var queueDepth: Int { inner.queueDepth }
    var directoryPaths: [String] { inner.directoryPaths }
    func openFile(_ name: String, options: IOFileOptions) throws -> IOFileID {
        try inner.openFile(name, options: options)
    }
    func openFile(_ name: String, inDirectory directory: Int, options: IOFileOptions) throws
        -> IOFileID
    {
        try inner.openFile(name, inDirectory: directory, options: options)
    }
    func listFiles() throws -> [String] { try inner.listFiles() }
    func listFiles(inDirectory directory: Int) throws -> [String] {
        try inner.listFiles(inDirectory: directory)
    }
    func removeFile(_ name: String) throws { try inner.removeFile(name) }
    func removeFile(_ name: String, inDirectory directory: Int) throws {
        try inner.removeFile(name, inDirectory: directory)
    }
    func fileSize(_ file: IOFileID) throws -> UInt64 { try inner.fileSize(file) }
    func reserve(_ file: IOFileID, size: UInt64) throws { try inner.reserve(file, size: size) }
    func closeFile(_ file: IOFileID) { inner.closeFile(file) }
    func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) -> Bool { false }

    func prepare(_ request: IORequest) -> Bool {
        let outstanding =
            inner.outstandingRequestCount + staged.count + injected.count + pending.count
        guard outstanding < queueDepth else { return false }
        if request.kind == .sync, request.userData != UInt64.max {
            let index = parallelSyncs
            parallelSyncs += 1
            if interruptedSyncs.contains(index) || failedSyncs.contains(index) {
                let result: Int32 = failedSyncs.contains(index) ? -5 : -4
                staged.append(IOCompletion(userData: request.userData, result: result))
                return true
            }
        }
        return inner.prepare(request)
    }

    func submit() throws -> Int {
        if submitFailures > 0 {
            submitFailures -= 1
            throw IOBackendError(
                operation: "io_uring_submit", path: "sim", errno: 11, message: "try again")
        }
        let count = try inner.submit() + staged.count
        injected.append(contentsOf: staged)
        staged.removeAll()
        return count
    }

    func reap(into completions: inout [IOCompletion], minimum: Int) throws -> Int {
        if reapFailures > 0 {
            reapFailures -= 1
            throw IOBackendError(
                operation: "io_uring_enter", path: "sim", errno: 4, message: "interrupted")
        }
        try inner.reap(into: &pending, minimum: 0)
        pending.append(contentsOf: injected)
        injected.removeAll()
        if let picks = partialReap {
            partialReap = nil
            completions.append(contentsOf: pending.filter(picks))
            pending.removeAll(where: picks)
            throw IOBackendError(
                operation: "io_uring_enter", path: "sim", errno: 5, message: "failed after a partial reap")
        }
        precondition(minimum <= pending.count, "reap would wait forever")
        let count = oneAtATime ? min(pending.count, max(minimum, 1)) : pending.count
        completions.append(contentsOf: pending.prefix(count))
        pending.removeFirst(count)
        return count
    }
}

@Suite("DiskTier: tags of a sync's data-file fdatasyncs")
struct DiskTierSyncTagTests {
    static let length = 3000

    /// A striped tier over `SyncTagIO`: "home" plus `count - 1` extra directories.
    static func striped(_ count: Int, seed: UInt64, faults: SimulatedIO.FaultPlan, jobs: Int)
        throws -> (DiskTier<SyncTagIO>, SyncTagIO)
    {
        let inner = SimulatedIO(
            seed: seed, requiredAlignment: 4096, queueDepth: 32, faults: faults,
            directories: ["home"] + (1..<count).map { "dev\($0)" })
        let io = SyncTagIO(inner: inner)
        var options = DiskTestSupport.options(capacity: 600 * 4096, blockMax: length, jobs: jobs)
        options.registersBuffers = false
        return (try DiskTier(io: io, options: options), io)
    }

    @Test("interrupted and reordered data-file syncs retry their own file: every job's outcome is right and every synced block survives a power cut")
    func interruptedSyncsRetryTheirFile() throws {
        for seed in 1...6 as ClosedRange<UInt64> {
            // Completions of every batch shuffled, reads and writes interrupted now and then;
            // a power cut drops every unsynced write.
            let faults = SimulatedIO.FaultPlan(reorder: 1, crashDrop: 1, crashTear: 0, interrupted: 0.2)
            let (tier, io) = try Self.striped(3, seed: seed, faults: faults, jobs: 8)
            var rng = SplitMix64(seed: seed)
            // Some syncs of each round interrupted: the retry must sync that file.
            io.interruptedSyncs = Set((0..<60).filter { _ in rng.chance(0.4) })
            let buffers = (0..<8).map { _ in TestBuffer(count: Self.length) }
            var stored: [UInt64] = []
            for round in 0..<20 as Range<UInt64> {
                // Eight stores in flight at once (tokens = keys), then eight loads.
                let keys = (0..<8).map { round * 8 + $0 }
                for (index, key) in keys.enumerated() {
                    let buffer = buffers[index].prefix(Self.length)
                    PayloadGenerator.fill(buffer, key: BlockKey(traceID: key), kind: .random)
                    #expect(
                        tier.submitStore(
                            key: BlockKey(traceID: key), bytes: UnsafeRawBufferPointer(buffer),
                            token: key))
                }
                var completions: [DiskCompletion] = []
                try tier.waitForAll(into: &completions)
                #expect(completions.count == 8, "seed \(seed) round \(round)")
                for completion in completions {
                    #expect(
                        completion.key == BlockKey(traceID: completion.token)
                            && completion.outcome == .store(.stored),
                        "seed \(seed) round \(round): \(completion)")
                }
                stored += keys
                try tier.sync()
                completions.removeAll()
                let probes = (0..<8).map { _ in stored[rng.below(stored.count)] }
                for (index, key) in probes.enumerated() {
                    #expect(
                        tier.submitLoad(
                            key: BlockKey(traceID: key), into: buffers[index].pointer,
                            token: UInt64(index)))
                }
                try tier.waitForAll(into: &completions)
                #expect(completions.count == 8, "seed \(seed) round \(round)")
                for completion in completions {
                    let key = probes[Int(completion.token)]
                    #expect(
                        completion.key == BlockKey(traceID: key)
                            && completion.outcome == .load(.loaded(byteCount: Self.length))
                            && PayloadGenerator.matches(
                                UnsafeRawBufferPointer(buffers[Int(completion.token)].prefix(Self.length)),
                                key: BlockKey(traceID: key), kind: .random),
                        "seed \(seed) round \(round): \(completion)")
                }
            }
            #expect(io.parallelSyncs >= 60 && io.inner.faultCounts.reorderedBatches > 0, "seed \(seed)")
            // Only what the syncs made durable survives: every stored block must.
            io.inner.crash()
            io.inner.faults = .none
            let reopened = try DiskTier(io: io.inner, options: DiskTierOptions())
            #expect(reopened.recovery == nil && reopened.blockCount == stored.count, "seed \(seed)")
            for key in stored {
                let (outcome, matches) = try DiskTestSupport.loadMatches(
                    reopened, BlockKey(traceID: key), length: Self.length)
                #expect(outcome == .loaded(byteCount: Self.length) && matches, "seed \(seed): block \(key)")
            }
        }
    }

    /// A striped tier (two directories, queue depth 32, `jobs` jobs) over a device that
    /// completes one request per reap, holding blocks 0..<4 synced, then a sync whose two
    /// fdatasyncs are left out (every submit refused, or the reap failing); with
    /// `strayFails` the first of them reports EIO. Exits 2 or 3 when that setup went wrong.
    static func afterFailedSync(seed: UInt64, jobs: Int, failReap: Bool, strayFails: Bool = false)
        -> (DiskTier<SyncTagIO>, SyncTagIO)
    {
        guard let (tier, io) = try? striped(2, seed: seed, faults: .none, jobs: jobs) else { exit(2) }
        io.oneAtATime = true
        for key in 0..<4 as Range<UInt64> {
            guard (try? DiskTestSupport.store(tier, BlockKey(traceID: key), length: length)) == .stored
            else { exit(2) }
        }
        guard (try? tier.sync()) != nil else { exit(2) }
        if strayFails { io.failedSyncs = [io.parallelSyncs] }
        if failReap { io.reapFailures = 1 } else { io.submitFailures = 64 }
        guard (try? tier.sync()) == nil, !tier.needsReopen, tier.dataSyncsInFlight == 2 else { exit(3) }
        return (tier, io)
    }

    /// Whether, after the power is cut, the tier reopens with exactly blocks 0..<4 and
    /// `keys`, each with its bytes.
    static func survivesPowerCut(_ io: SyncTagIO, keys: [BlockKey]) -> Bool {
        io.inner.crash()
        let all = (0..<4).map { BlockKey(traceID: $0) } + keys
        guard let reopened = try? DiskTier(io: io.inner, options: DiskTierOptions()),
            reopened.recovery == nil, reopened.blockCount == all.count
        else { return false }
        return all.allSatisfy { key in
            guard let (outcome, matches) = try? DiskTestSupport.loadMatches(reopened, key, length: length)
            else { return false }
            return outcome == .loaded(byteCount: length) && matches
        }
    }

    /// Fills `buffer` with `key`'s payload and submits its store under `token`.
    static func submitStore(
        _ tier: DiskTier<SyncTagIO>, _ key: BlockKey, _ buffer: TestBuffer, token: UInt64
    ) -> Bool {
        PayloadGenerator.fill(buffer.prefix(length), key: key, kind: .random)
        return tier.submitStore(
            key: key, bytes: UnsafeRawBufferPointer(buffer.prefix(length)), token: token)
    }

    /// The child of the stray-sync tests: after the failed sync (`afterFailedSync`, as many
    /// jobs as stores), `count` stores are submitted without polling between them, waited
    /// for, loaded back, a sync runs and the power is cut. Exits 0 when the tier carried on:
    /// every store accepted and `.stored` with its bytes, the sync succeeded after discarding
    /// the two stray completions, and every synced block came back after the power cut;
    /// another code names the step that went wrong (a trap at the stray completion, or, with
    /// a full queue of stores, at the prepare the strays' queue entries refused, is the bug).
    static func strayChild(failReap: Bool, count: Int) -> Never {
        let (tier, io) = afterFailedSync(seed: 47, jobs: count, failReap: failReap)
        let buffers = (0..<count).map { _ in TestBuffer(count: length) }
        let keys = (0..<count).map { BlockKey(traceID: 10 + UInt64($0)) }
        for index in 0..<count {
            guard submitStore(tier, keys[index], buffers[index], token: UInt64(index)) else { exit(4) }
        }
        var completions: [DiskCompletion] = []
        while completions.count < count {
            guard (try? tier.wait(into: &completions)) != nil else { exit(5) }
        }
        // A sync's completion taken for a job fails that store although it was written.
        guard
            completions.allSatisfy({
                $0.outcome == .store(.stored) && $0.key == keys[Int($0.token)]
            })
        else { exit(7) }
        for key in keys {
            guard let (outcome, matches) = try? DiskTestSupport.loadMatches(tier, key, length: length),
                outcome == .loaded(byteCount: length) && matches
            else { exit(8) }
        }
        guard (try? tier.sync()) != nil else { exit(9) }
        guard tier.stats.discardedSyncCompletions == 2, tier.dataSyncsInFlight == 0 else { exit(10) }
        // Only what the last sync made durable survives the power cut: every block.
        exit(survivesPowerCut(io, keys: keys) ? 0 : 11)
    }

    @Test(
        "a sync left in flight (every submit refused, or its reap failed) is never taken for a store job and leaves room for a full queue of them: its completions are discarded, the stores succeed, the next sync waits for them and syncs anew, and the synced blocks survive a power cut",
        arguments: [false, true], [2, 32])
    func straySyncIsDiscarded(failReap: Bool, count: Int) async throws {
        // Before the fix the child trapped at the stray completion (SIGILL, "completion for
        // no job in flight (userData 18446744073709551614)"); with 32 stores (the queue
        // depth), at the 31st submit ("backend refused a request below its queue depth").
        await #expect(processExitsWith: .success) { [failReap, count] in
            Self.strayChild(failReap: failReap, count: count)
        }
    }

    /// The child of the next-sync tests: as `strayChild`, but the failed sync is followed at
    /// once by another, with its fdatasyncs still out; with `strayFails` the first of them
    /// reports EIO. Exits 0 when the next sync waited for them: it succeeded and the four
    /// blocks survive a power cut, or (`strayFails`) it refused and the tier needs a reopen;
    /// another code names the step that went wrong.
    static func nextSyncChild(failReap: Bool, strayFails: Bool) -> Never {
        let (tier, io) = afterFailedSync(
            seed: 48, jobs: 2, failReap: failReap, strayFails: strayFails)
        // The failed sync's two data-file fdatasyncs were `base` and `base + 1`.
        let base = io.parallelSyncs - 2
        let synced = (try? tier.sync()) != nil
        guard tier.dataSyncsInFlight == 0, tier.stats.discardedSyncCompletions == 2 else { exit(4) }
        // An fdatasync that failed may have dropped dirty pages: no later sync may succeed.
        if strayFails { exit(!synced && tier.needsReopen ? 0 : 5) }
        guard synced, io.parallelSyncs == base + 4 else { exit(6) }
        exit(survivesPowerCut(io, keys: []) ? 0 : 7)
    }

    @Test(
        "a sync right after one that left its fdatasyncs out waits for them and syncs anew; if one of them failed it refuses",
        arguments: [(false, false), (true, false), (false, true), (true, true)])
    func nextSyncWaitsForStraySyncs(failReap: Bool, strayFails: Bool) async throws {
        await #expect(processExitsWith: .success) { [failReap, strayFails] in
            Self.nextSyncChild(failReap: failReap, strayFails: strayFails)
        }
    }
}
