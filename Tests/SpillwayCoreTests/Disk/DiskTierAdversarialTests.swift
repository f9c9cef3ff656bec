// Adversarial tests of the disk tier: futile evictions, transient read errors at open,
// hostile checkpoints; each pins down a bug found in review.
import Glibc
import SpillwayCore
import SpillwayTesting
import Testing

/// Wraps a SimulatedIO and fails chosen reads of one file with -EIO (a transient device
/// error: the same read succeeds when retried later).
final class FlakyReadIO: IOBackend {
    let inner: SimulatedIO
    let failingFile: String
    /// Indices (0-based, counted per file) of the reads of `failingFile` that fail.
    let failingReads: Set<Int>
    private var names: [Int32: String] = [:]
    private var readsOfFile = 0
    private var injected: [IOCompletion] = []
    private(set) var injectedCount = 0
    /// Files opened through this backend and not closed yet.
    private(set) var openFileCount = 0

    init(inner: SimulatedIO, failingFile: String, failingReads: Set<Int>) {
        self.inner = inner
        self.failingFile = failingFile
        self.failingReads = failingReads
    }

    var requiredAlignment: Int { inner.requiredAlignment }
    var queueDepth: Int { inner.queueDepth }
    func openFile(_ name: String, options: IOFileOptions) throws -> IOFileID {
        let id = try inner.openFile(name, options: options)
        names[id.rawValue] = name
        openFileCount += 1
        return id
    }
    func listFiles() throws -> [String] { try inner.listFiles() }
    func removeFile(_ name: String) throws { try inner.removeFile(name) }
    func fileSize(_ file: IOFileID) throws -> UInt64 { try inner.fileSize(file) }
    func reserve(_ file: IOFileID, size: UInt64) throws { try inner.reserve(file, size: size) }
    func closeFile(_ file: IOFileID) {
        if names.removeValue(forKey: file.rawValue) != nil { openFileCount -= 1 }
        inner.closeFile(file)
    }
    func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) -> Bool { false }
    func prepare(_ request: IORequest) -> Bool {
        if request.kind == .read, names[request.file.rawValue] == failingFile {
            let index = readsOfFile
            readsOfFile += 1
            if failingReads.contains(index) {
                injected.append(IOCompletion(userData: request.userData, result: -5))
                injectedCount += 1
                return true
            }
        }
        return inner.prepare(request)
    }
    /// Submits that throw (the kernel refusing the batch) before they work again; the
    /// requests stay prepared, as the IOBackend contract says.
    var submitFailures = 0
    func submit() throws -> Int {
        if submitFailures > 0 {
            submitFailures -= 1
            throw IOBackendError(
                operation: "io_uring_submit", path: "sim", errno: 11, message: "try again")
        }
        return try inner.submit()
    }
    func reap(into completions: inout [IOCompletion], minimum: Int) throws -> Int {
        let own = injected.count
        completions.append(contentsOf: injected)
        injected.removeAll()
        return own + (try inner.reap(into: &completions, minimum: max(0, minimum - own)))
    }
}

@Suite("DiskTier adversarial")
struct DiskTierAdversarialTests {
    @Test("a store larger than the whole tier fails at once and evicts nothing")
    func storeLargerThanCapacityEvictsNothing() throws {
        let io = SimulatedIO(seed: 41, requiredAlignment: 4096)
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 8 * 4096, blockMax: 64 << 10))
        var evicted: [BlockKey] = []
        tier.evictionHandler = { evicted.append($0) }
        for id in 0..<4 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 2000) == .stored)
        }
        // 40,000 bytes + the 128-byte header = 10 pages: more than the 8 pages of the file,
        // so no eviction can ever make room for it.
        let outcome = try DiskTestSupport.store(tier, BlockKey(traceID: 99), length: 40_000)
        #expect(outcome == .failed(.noRoom))
        #expect(evicted.isEmpty, "evicted \(evicted.count) blocks for a store that cannot fit")
        #expect(tier.blockCount == 4)
        #expect(tier.stats.evictions == 0)
        for id in 0..<4 as Range<UInt64> {
            let (loaded, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: id), length: 2000)
            #expect(loaded == .loaded(byteCount: 2000) && matches)
        }
        tier.checkInvariants()
    }

    /// Generation 1 (created, empty) is in slot b; generation 2 (block 7) in slot a.
    static func tierWithBlockInNewestCheckpoint() throws -> SimulatedIO {
        let io = SimulatedIO(seed: 42, requiredAlignment: 4096)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 7), length: 9000) == .stored)
        try tier.close()  // sync: generation 2, the durability point for block 7
        return io
    }

    @Test(
        "a transient read error on the newest checkpoint never rolls the tier back to an older one",
        arguments: [0, 1])  // 0: the header read fails, 1: the entries read fails
    func transientCheckpointReadError(failingRead: Int) throws {
        let io = try Self.tierWithBlockInNewestCheckpoint()
        let flaky = FlakyReadIO(
            inner: io, failingFile: DiskLayout.checkpointFileNames[0], failingReads: [failingRead])
        do {
            let tier = try DiskTier(io: flaky, options: DiskTierOptions())
            #expect(
                tier.contains(BlockKey(traceID: 7)),
                "open fell back to the older checkpoint after a read error: block 7 was synced")
            try tier.close()
        } catch let error as DiskTierError {
            #expect(error.code == .backend, "\(error)")
        }
        #expect(flaky.injectedCount == 1)
        // Whatever the failed open did, the next clean open must still have the block.
        let tier = try DiskTier(io: io, options: DiskTierOptions())
        let (outcome, matches) = try DiskTestSupport.loadMatches(
            tier, BlockKey(traceID: 7), length: 9000)
        #expect(outcome == .loaded(byteCount: 9000) && matches, "a synced block was lost")
    }

    @Test("an open that fails closes every file it opened")
    func failedOpenClosesItsFiles() throws {
        let io = try Self.tierWithBlockInNewestCheckpoint()
        // A read error: .backend.
        let flaky = FlakyReadIO(
            inner: io, failingFile: DiskLayout.checkpointFileNames[0], failingReads: [0])
        #expect(throws: DiskTierError.self) { try DiskTier(io: flaky, options: DiskTierOptions()) }
        #expect(flaky.openFileCount == 0, "\(flaky.openFileCount) files left open")
        // Both checkpoints corrupt: .indexCorrupt.
        for name in DiskLayout.checkpointFileNames {
            io.corrupt(fileNamed: name, offset: 8, xor: 1)
        }
        let wrapped = FlakyReadIO(inner: io, failingFile: "", failingReads: [])
        var checkpointOnly = DiskTierOptions()
        checkpointOnly.scanRecovery = false
        #expect {
            try DiskTier(io: wrapped, options: checkpointOnly)
        } throws: { error in
            (error as? DiskTierError)?.code == .indexCorrupt
        }
        #expect(wrapped.openFileCount == 0, "\(wrapped.openFileCount) files left open")
    }
}

@Suite("DiskTier verify with caller jobs")
struct DiskTierVerifyJobsTests {
    @Test("verify while a caller's async store is in flight keeps its completion and its own lanes")
    func verifyKeepsCallerCompletions() async {
        // In a child: before the fix verify took the caller's completion as one of its own
        // (token 7 read as a lane), ended one load early, freed its buffers under that load
        // and swallowed the completion. Exit 0 only when everything is right.
        await #expect(processExitsWith: .success) {
            let io = SimulatedIO(seed: 43, requiredAlignment: 4096)
            guard
                let tier = try? DiskTier(
                    io: io, options: DiskTestSupport.options(capacity: 1 << 20, jobs: 4))
            else { exit(2) }
            for id in 0..<6 as Range<UInt64> {
                guard
                    (try? DiskTestSupport.store(tier, BlockKey(traceID: id), length: 5000))
                        == .stored
                else { exit(2) }
            }
            let bytes = [UInt8](repeating: 1, count: 3000)
            let accepted = bytes.withUnsafeBytes {
                tier.submitStore(key: BlockKey(traceID: 100), bytes: $0, token: 1)
            }
            guard accepted, let report = try? tier.verify() else { exit(3) }
            var completions: [DiskCompletion] = []
            _ = try? tier.poll(into: &completions)
            let kept = completions.contains { $0.token == 1 && $0.outcome == .store(.stored) }
            // The caller's store finished first, so its block is verified too.
            exit(report.blocks == 7 && report.verified == 7 && kept ? 0 : 4)
        }
    }
}

@Suite("DiskTier block size bound")
struct DiskTierBlockSizeBoundTests {
    @Test("a block size beyond 32-bit LZ4 lengths is refused at open, not trapped on at store")
    func blockByteCountMaxFitsLZ4() async {
        // In a child: before the fix a 2 GiB block max was accepted, and storing a 2 GiB
        // block with LZ4 trapped converting its length to Int32. Exit 0 when the open refuses
        // the option; no byte of the buffers below is touched (virtual memory only).
        await #expect(processExitsWith: .success) {
            let io = SimulatedIO(seed: 44)
            let length = 1 << 31
            let options = DiskTierOptions(
                capacityBytes: 1 << 20, blockByteCountMax: length, codec: .lz4, jobCountMax: 1)
            let tier: DiskTier<SimulatedIO>
            do { tier = try DiskTier(io: io, options: options) } catch let error as DiskTierError {
                exit(error.code == .invalidOptions ? 0 : 3)
            } catch { exit(3) }
            let source = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 4096)
            _ = try? tier.store(
                key: BlockKey(traceID: 1),
                bytes: UnsafeRawBufferPointer(start: source, count: length))
            exit(4)
        }
    }
}

@Suite("DiskTier backend submit failure")
struct DiskTierSubmitFailureTests {
    @Test("after a submit that throws, the next wait submits the still-prepared requests")
    func submitIsRetried() async {
        // In a child: before the fix the tier forgot that requests were prepared, so the
        // next wait reaped with nothing submitted and trapped (or would wait forever).
        await #expect(processExitsWith: .success) {
            let io = SimulatedIO(seed: 45, requiredAlignment: 4096)
            let flaky = FlakyReadIO(inner: io, failingFile: "", failingReads: [])
            guard
                let tier = try? DiskTier(
                    io: flaky, options: DiskTestSupport.options(capacity: 1 << 20, jobs: 4))
            else { exit(2) }
            let bytes = [UInt8](repeating: 3, count: 5000)
            flaky.submitFailures = 1
            let accepted = bytes.withUnsafeBytes {
                tier.submitStore(key: BlockKey(traceID: 1), bytes: $0, token: 9)
            }
            var completions: [DiskCompletion] = []
            guard accepted, (try? tier.poll(into: &completions)) == nil else { exit(3) }
            guard (try? tier.wait(into: &completions)) != nil else { exit(4) }
            exit(completions.map(\.token) == [9] && tier.contains(BlockKey(traceID: 1)) ? 0 : 5)
        }
    }
}

@Suite("DiskTier blocking transfer submit failure")
struct DiskTierBlockingSubmitTests {
    @Test("a sync whose submit is refused once retries it; later syncs and reopen work")
    func syncRetriesRefusedSubmit() async {
        // In a child: before the fix the sync threw with its checkpoint write still
        // prepared (pointing at a freed buffer), and the retried sync trapped on two
        // completions. Exit 0 when both syncs succeed and the block survives a reopen.
        await #expect(processExitsWith: .success) {
            let io = SimulatedIO(seed: 46, requiredAlignment: 4096)
            let flaky = FlakyReadIO(inner: io, failingFile: "", failingReads: [])
            guard
                let tier = try? DiskTier(
                    io: flaky, options: DiskTestSupport.options(capacity: 1 << 20, jobs: 4)),
                (try? DiskTestSupport.store(tier, BlockKey(traceID: 1), length: 5000)) == .stored
            else { exit(2) }
            flaky.submitFailures = 1
            do { try tier.sync() } catch { exit(3) }
            do { try tier.close() } catch { exit(4) }
            guard let reopened = try? DiskTier(io: io, options: DiskTierOptions()),
                let (outcome, matches) = try? DiskTestSupport.loadMatches(
                    reopened, BlockKey(traceID: 1), length: 5000)
            else { exit(5) }
            exit(outcome == .loaded(byteCount: 5000) && matches ? 0 : 6)
        }
    }
}
