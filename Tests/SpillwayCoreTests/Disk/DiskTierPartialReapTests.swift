// A reap that hands over some completions and then fails (DiskTier+Sync.swift,
// `syncDataFiles`; DiskTier+Jobs.swift, `pump`): what it handed over is accounted for, a
// sync's own fdatasync EIO among them latching the tier (fsyncgate), a failed sync's stray
// fdatasync discarded and a job's completion handled. (A full queue of jobs beside the
// strays: DiskTierSyncTagTests.)
import Glibc
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier: completions handed over by a reap that then fails")
struct DiskTierPartialReapTests {
    static let length = DiskTierSyncTagTests.length

    @Test(
        "a sync whose reap hands over a failed fdatasync and then throws latches the failure: it needs a reopen and later syncs refuse",
        arguments: [false, true])
    func partialReapOfFailedSyncLatches(failedFirst: Bool) throws {
        let (tier, io) = try DiskTierSyncTagTests.striped(2, seed: 50, faults: .none, jobs: 2)
        for key in 0..<4 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: key), length: Self.length) == .stored)
        }
        try tier.sync()
        // One of this sync's two fdatasyncs reports EIO; the reap hands over that one alone,
        // then fails, so the other stays out.
        let failed = io.parallelSyncs + (failedFirst ? 0 : 1)
        io.failedSyncs = [failed]
        io.partialReap = { $0.result < 0 }
        #expect(throws: DiskTierError.self) { try tier.sync() }
        #expect(tier.needsReopen && tier.dataSyncsInFlight == 1)
        // Before the fix the EIO was dropped: this sync waited for the other and succeeded.
        #expect(throws: DiskTierError.self) { try tier.sync() }
        #expect(tier.needsReopen)
    }

    /// The child of the job-loop partial-reap test: after the failed sync (reap failed, its
    /// two fdatasyncs completed and unreaped), two stores are submitted and a poll's reap
    /// hands over the first stray and store job 0, then throws. Exits 0 when those
    /// completions were handled: the poll threw, one stray is left, both stores are stored,
    /// the next sync succeeded after discarding both strays and the six blocks survive a
    /// power cut (before the fix the dropped completions left the tier waiting for requests
    /// the device no longer held: a trap).
    static func partialPumpReapChild() -> Never {
        let (tier, io) = DiskTierSyncTagTests.afterFailedSync(seed: 51, jobs: 2, failReap: true)
        let buffers = (0..<2).map { _ in TestBuffer(count: length) }
        let keys = (0..<2).map { BlockKey(traceID: 10 + UInt64($0)) }
        for index in 0..<2 {
            guard DiskTierSyncTagTests.submitStore(tier, keys[index], buffers[index], token: UInt64(index))
            else { exit(4) }
        }
        let firstStray = UInt64.max - 1
        io.partialReap = { $0.userData == firstStray || $0.userData == 0 }
        var completions: [DiskCompletion] = []
        guard (try? tier.poll(into: &completions)) == nil else { exit(5) }
        guard tier.dataSyncsInFlight == 1, tier.stats.discardedSyncCompletions == 1 else { exit(6) }
        guard (try? tier.waitForAll(into: &completions)) != nil, completions.count == 2,
            completions.allSatisfy({ $0.outcome == .store(.stored) && $0.key == keys[Int($0.token)] })
        else { exit(7) }
        guard (try? tier.sync()) != nil, tier.dataSyncsInFlight == 0,
            tier.stats.discardedSyncCompletions == 2
        else { exit(8) }
        exit(DiskTierSyncTagTests.survivesPowerCut(io, keys: keys) ? 0 : 9)
    }

    @Test("a job-loop reap that hands over a stray fdatasync and a job's completion and then throws loses neither")
    func partialPumpReapKeepsCompletions() async throws {
        await #expect(processExitsWith: .success) {
            Self.partialPumpReapChild()
        }
    }
}
