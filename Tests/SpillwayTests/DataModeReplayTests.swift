// Data mode: the real region + disk tier behind the tiering engine reproduces the simulation's
// counters exactly, never serves wrong bytes, and turns failed disk reads into misses.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct DataModeReplayTests {
    /// Rows of 3968 bytes: with the 128-byte record header a block is exactly one 4 KiB page
    /// on disk, so the largest configuration (40000 disk blocks) stays small.
    static let rowStride = 4096 - 128

    static func sharedTrace() throws -> (MooncakeTrace, [ReplayCounters]) {
        let directory = try #require(
            SharedTraces.directory(testFile: #filePath),
            "Tests/Fixtures/traces not found above \(#filePath)")
        let trace = try TraceFile.load(directory.appendingPathComponent("mooncake-synthetic.jsonl").path)
        let expected = try JSONDecoder().decode(
            Array<ReplayCounters>.self,
            from: Data(
                contentsOf: directory.appendingPathComponent("mooncake-synthetic.expected.json")))
        return (trace, expected)
    }

    /// Every row resident in primary holds its key's payload (checked after a replay).
    static func residentRowsMatch(
        _ dir: BlockDirectory, region: SharedOffloadRegion, payload: PayloadKind
    ) -> Int {
        let view = region.createKVMemoryView()
        var wrong = 0
        var slot = dir.primaryHead
        while slot >= 0 {
            let row = view[Int(dir.row(slot))]
            if !PayloadGenerator.matches(
                UnsafeRawBufferPointer(row), key: dir.key(slot), kind: payload)
            {
                wrong += 1
            }
            slot = dir.primaryMoreRecent(slot)
        }
        return wrong
    }

    /// Setup: the shared trace, each of the six expected configurations, data mode over
    /// io_uring with the tier in /dev/shm (buffered), 3968-byte rows, random payload.
    /// Checks: counters equal the expected file exactly, zero verify failures, zero spill
    /// failures, zero disk self-evictions, rows moved = disk writes / reads.
    @Test func allSixConfigurationsMatchInDataMode() throws {
        let (trace, expected) = try Self.sharedTrace()
        #expect(expected.count == 6)
        for (index, want) in expected.enumerated() {
            let scratch = ScratchDirectory(under: "/dev/shm")
            let options = DataModeOptions(
                primaryBlocks: want.primaryBlocks, diskBlocks: want.diskBlocks, policy: want.policy,
                blockBytes: Self.rowStride, diskDirectory: scratch.sub("tier"), queueDepth: 32)
            let report = try DataModeReplay.run(trace, options: options)
            #expect(report.counters == want, "configuration \(index): got \(report.counters)")
            #expect(report.stats.verifyFailures == 0, "configuration \(index)")
            #expect(report.stats.spillFailures == 0, "configuration \(index)")
            #expect(report.stats.diskSelfEvictions == 0, "configuration \(index)")
            #expect(report.stats.rowsWritten == want.diskWrites, "configuration \(index)")
            #expect(report.stats.rowsRead == want.diskReads, "configuration \(index)")
            #expect(report.stats.bytesRead == want.diskReads * Self.rowStride)
            #expect(
                !FileManager.default.fileExists(atPath: scratch.sub("tier")),
                "tier directory not removed")
        }
    }

    /// Setup: a generated trace (seeds 7 and 8), 40 rows / 300 disk records, both policies,
    /// lz4-shuffle codec with bf16 payload, rows of 8 KiB. Checks: data-mode counters equal
    /// the simulation's, zero verify failures, every resident row holds its payload.
    @Test(arguments: [TieringPolicy.spill, .writeThrough])
    func generatedTraceAgreesWithSimulation(policy: SpillwayCore.TieringPolicy) throws {
        for seed: UInt64 in [7, 8] {
            var parameters = TraceGenerator.Parameters()
            parameters.requests = 400
            parameters.seed = seed
            let requests = TraceGenerator.trace(parameters: parameters)
            let simulation = ReplayEngine(primaryBlocks: 40, diskBlocks: 300, policy: policy)
            simulation.replay(requests)
            let scratch = ScratchDirectory(under: "/dev/shm")
            let options = DataModeOptions(
                primaryBlocks: 40, diskBlocks: 300, policy: policy, blockBytes: 8192,
                codec: .lz4Shuffle2, payload: .bf16, queueDepth: 8)
            let region = try DataModeReplay.makeRegion(options)
            defer { region.cleanup() }
            let disk = try DiskTierFactory.open(
                directory: scratch.sub("tier"), options: DataModeReplay.diskOptions(options),
                queueDepth: 8)
            let report = try DataModeReplay.replay(
                requests, region: region, disk: disk, options: options)
            #expect(report.counters == simulation.counters, "seed \(seed) \(policy)")
            #expect(report.stats.verifyFailures == 0, "seed \(seed)")
            #expect(report.stats.diskSelfEvictions == 0, "seed \(seed)")
            #expect(
                report.counters.diskReads > 0 && report.counters.diskWrites > 0,
                "seed \(seed): trace too easy")
            #expect(
                report.diskBytesWritten < report.stats.bytesWritten + report.stats.rowsWritten
                    * 4096, "seed \(seed)")
        }
    }

    /// Setup: the same engine and data path over DiskTier<SimulatedIO> with seeded read
    /// errors and bit flips (seeds 1...3), and a RecordingDataPath engine failing exactly the
    /// same promotion reads (by read number). Checks: the data path turned failures into
    /// misses (disk_read_failures > 0) with zero verify failures (every corrupt read was
    /// caught before reaching the row's reader), the counters equal the reference run's
    /// (batched prefetch path == one-at-a-time path under failures), no protocol violation,
    /// and every resident row holds its payload.
    @Test func failedDiskReadsBecomeMisses() throws {
        var parameters = TraceGenerator.Parameters()
        parameters.requests = 500
        for seed: UInt64 in 1...3 {
            parameters.seed = seed
            let requests = TraceGenerator.requests(parameters: parameters)
            let io = SimulatedIO(
                seed: seed, queueDepth: 16,
                faults: .init(readError: 0.04, readBitFlip: 0.04, reorder: 0.5))
            let options = DataModeOptions(
                primaryBlocks: 30, diskBlocks: 200, policy: .spill, blockBytes: 2048, queueDepth: 16
            )
            let disk = try DiskTier(io: io, options: DataModeReplay.diskOptions(options))
            let region = try DataModeReplay.makeRegion(options)
            defer { region.cleanup() }
            let log = OutcomeLog(
                RegionDiskDataPath(region: region, disk: disk, diskRecords: 200, payload: .random))
            let engine = TieringEngine(
                primaryBlocks: 30, diskBlocks: 200, policy: .spill, dataPath: log)
            for request in requests { engine.process(traceIDs: request.hashIDs) }
            log.inner.drain()
            let failedReads = Set(log.failedReadNumbers)
            let reference = RecordingDataPath(primaryBlocks: 30, diskBlocks: 200) {
                failedReads.contains($0)
            }
            let model = TieringEngine(
                primaryBlocks: 30, diskBlocks: 200, policy: .spill, dataPath: reference)
            for request in requests { model.process(traceIDs: request.hashIDs) }
            let c = engine.counters
            #expect(
                c.diskReadFailures > 0, "seed \(seed): no read failed (faults \(io.faultCounts))")
            #expect(c.diskReadFailures == failedReads.count, "seed \(seed)")
            #expect(log.inner.stats.verifyFailures == 0, "seed \(seed)")
            #expect(log.inner.stats.spillFailures == 0, "seed \(seed)")
            #expect(c == model.counters, "seed \(seed): data \(c) reference \(model.counters)")
            #expect(reference.violations.isEmpty, "seed \(seed): \(reference.violations)")
            #expect(c.hitPrimary + c.hitDisk + c.miss == c.blocks)
            #expect(
                Self.residentRowsMatch(engine.directory, region: region, payload: .random) == 0,
                "seed \(seed)")
            engine.directory.checkInvariants()
        }
    }
}

/// Forwards to a data path and numbers every `loadFromDisk`, keeping the numbers that failed.
final class OutcomeLog<Inner: TierDataPath>: TierDataPath {
    let inner: Inner
    private(set) var readCount = 0
    private(set) var failedReadNumbers: [Int] = []
    init(_ inner: Inner) { self.inner = inner }
    static var prefetchesLoads: Bool { Inner.prefetchesLoads }
    func prefetchLoad(_ key: BlockKey, record: Int32, row: Int32) {
        inner.prefetchLoad(key, record: record, row: row)
    }
    func writeRow(_ key: BlockKey, row: Int32) { inner.writeRow(key, row: row) }
    func copyToDisk(_ key: BlockKey, row: Int32, record: Int32) -> TierIOOutcome {
        inner.copyToDisk(key, row: row, record: record)
    }
    func loadFromDisk(_ key: BlockKey, record: Int32, row: Int32) -> TierIOOutcome {
        let outcome = inner.loadFromDisk(key, record: record, row: row)
        if outcome == .failed { failedReadNumbers.append(readCount) }
        readCount += 1
        return outcome
    }
    func removeFromDisk(_ key: BlockKey, record: Int32) {
        inner.removeFromDisk(key, record: record)
    }
    func rowFreed(_ key: BlockKey, row: Int32) { inner.rowFreed(key, row: row) }
}

/// `spillway replay --data --json` as a child process on a real file system.
@Suite struct ReplayDataCommandTests {
    /// Runs `replay` with `common` arguments, then with `common + data`; expects both to exit
    /// 0 and every counter of the first (simulation) to be equal in the second. Returns both
    /// JSON objects.
    static func simulationAndData(_ common: [String], data: [String]) throws -> (
        sim: [String: Any], got: [String: Any]
    ) {
        let simulated = try ReplayCommandTests.run(common)
        #expect(simulated.status == 0, "\(simulated.stderr)")
        let measured = try ReplayCommandTests.run(common + data)
        #expect(measured.status == 0, "\(measured.stderr)")
        let sim = try #require(
            try JSONSerialization.jsonObject(with: Data(simulated.stdout.utf8)) as? [String: Any])
        let got = try #require(
            try JSONSerialization.jsonObject(with: Data(measured.stdout.utf8)) as? [String: Any])
        for (key, value) in sim { #expect("\(got[key] ?? "nil")" == "\(value)", "\(key)") }
        return (sim, got)
    }

    /// Setup: the first 600 requests of the shared trace, 200 rows / 2000 disk records,
    /// spill, 4 KiB rows, the tier in a fresh /tmp directory with O_DIRECT required (ext4
    /// here: the run fails naming the reason when it is refused). Checks:
    /// exit 0; every simulation counter equal to `replay --json` without --data on the same
    /// file; verify_failures 0; bytes_read = disk_reads * 4096; elapsed and latency
    /// present; the tier directory removed (no --keep).
    @Test
    func dataModeJsonMatchesSimulation() throws {
        let traces = try #require(SharedTraces.directory(testFile: #filePath))
        let full = try String(
            contentsOf: traces.appendingPathComponent("mooncake-synthetic.jsonl"), encoding: .utf8)
        let scratch = ScratchDirectory(under: "/tmp")
        let tracePath = scratch.sub("head.jsonl")
        try (full.split(separator: "\n").prefix(600).joined(separator: "\n") + "\n").write(
            toFile: tracePath, atomically: true, encoding: .utf8)
        let common = [
            "replay", "--trace", tracePath, "--primary-blocks", "200", "--disk-blocks", "2000",
            "--json",
        ]
        let tier = scratch.sub("tier")
        let (sim, got) = try Self.simulationAndData(
            common,
            data: [
                "--data", "--block-bytes", "4096", "--disk-dir", tier, "--queue-depth", "16",
                "--direct-io", "required",
            ])
        #expect(got["verify_failures"] as? Int == 0)
        #expect(got["disk_self_evictions"] as? Int == 0)
        let reads = try #require(sim["disk_reads"] as? Int)
        #expect(reads > 0)
        #expect(got["bytes_read"] as? Int == reads * 4096)
        #expect(got["elapsed_seconds"] is Double)
        #expect((got["load_latency_ns"] as? [String: Any])?["count"] as? Int == reads)
        #expect(!FileManager.default.fileExists(atPath: tier + "/spillway-data.0"))
        let bad = try ReplayCommandTests.run(common + ["--block-bytes", "4096"])
        #expect(bad.status != 0 && bad.stderr.contains("--data"))
    }

    /// Runs `replay --json` on the first `requests` lines of the shared trace at `primary`
    /// rows / `disk` records, spill, without and with `--data` at 256 KiB rows (random
    /// payload, no compression) into a fresh /tmp tier with O_DIRECT required, and checks
    /// the data-mode run's counters: every simulation counter equal, verify_failures and
    /// disk_self_evictions and spill_failures 0; bytes_read = disk_reads * 256 KiB and
    /// bytes_written = disk_writes * 256 KiB (raw block bytes loaded / spilled); the tier's
    /// own disk_bytes_read / disk_bytes_written = the same counts * (256 KiB + the 4 KiB header
    /// page: no compression, O_DIRECT page rounding); one timed load per disk read.
    static func check256KiBRows(requests: Int, primary: Int, disk: Int) throws {
        let rowStride = 256 << 10
        let traces = try #require(SharedTraces.directory(testFile: #filePath))
        let full = try String(
            contentsOf: traces.appendingPathComponent("mooncake-synthetic.jsonl"), encoding: .utf8)
        let scratch = ScratchDirectory(under: "/tmp")
        let tracePath = scratch.sub("head.jsonl")
        try (full.split(separator: "\n").prefix(requests).joined(separator: "\n") + "\n").write(
            toFile: tracePath, atomically: true, encoding: .utf8)
        let common = [
            "replay", "--trace", tracePath, "--primary-blocks", String(primary), "--disk-blocks",
            String(disk), "--policy", "spill", "--json",
        ]
        // The tier directory exists beforehand: the replay removes only the tier's files
        // (data, both checkpoints, the journal) and leaves the directory empty.
        try FileManager.default.createDirectory(atPath: scratch.sub("tier"), withIntermediateDirectories: true)
        defer {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch.sub("tier"))) ?? ["(gone)"]
            #expect(left.isEmpty, "the replay left \(left) in its --disk-dir")
        }
        let (sim, got) = try Self.simulationAndData(
            common,
            data: [
                "--data", "--block-bytes", String(rowStride), "--disk-dir", scratch.sub("tier"),
                "--payload", "random", "--compression", "none", "--direct-io", "required",
                "--queue-depth", "32",
            ])
        #expect(got["block_bytes"] as? Int == rowStride)
        #expect(got["verify_failures"] as? Int == 0)
        #expect(got["disk_self_evictions"] as? Int == 0)
        let reads = try #require(sim["disk_reads"] as? Int)
        let writes = try #require(sim["disk_writes"] as? Int)
        #expect(reads > 0 && writes > 0, "\(sim)")
        #expect(got["spill_failures"] as? Int == 0)
        #expect(got["bytes_read"] as? Int == reads * rowStride, "\(got)")
        #expect(got["bytes_written"] as? Int == writes * rowStride, "\(got)")
        #expect(got["disk_bytes_read"] as? Int == reads * (rowStride + 4096), "\(got)")
        #expect(got["disk_bytes_written"] as? Int == writes * (rowStride + 4096), "\(got)")
        #expect((got["load_latency_ns"] as? [String: Any])?["count"] as? Int == reads)
    }

    /// Setup: the first 200 requests of the shared trace, 40 rows / 600 disk records, 256 KiB
    /// rows under O_DIRECT (see `check256KiBRows`). Checks: the data-mode counters.
    @Test func dataModeCountersAt256KiBRows() throws {
        try Self.check256KiBRows(requests: 200, primary: 40, disk: 600)
    }

    /// Setup: the whole shared trace at 1000 rows / 10000 disk records, 256 KiB rows under
    /// O_DIRECT: the docs/BENCHMARKS.md data-mode run (18 GB of spills; SPILLWAY_SOAK=1).
    /// Checks: the data-mode counters (see `check256KiBRows`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SPILLWAY_SOAK"] == "1"))
    func dataModeCountersAt256KiBRowsFullTrace() throws {
        try Self.check256KiBRows(requests: 1_000_000, primary: 1000, disk: 10000)
    }

    /// Setup: the first 300 requests of the shared trace, 50 rows / 400 disk records, spill,
    /// 8 KiB rows of bf16 payload with lz4-shuffle, `--keep` into a /tmp directory, O_DIRECT
    /// required. Checks:
    /// exit 0 with zero verify failures; the kept tier opens with `disk verify --pattern
    /// bf16`, which finds every resident disk block verified and none mismatching.
    @Test
    func keptTierVerifiesWithItsPayload() throws {
        let traces = try #require(SharedTraces.directory(testFile: #filePath))
        let full = try String(
            contentsOf: traces.appendingPathComponent("mooncake-synthetic.jsonl"), encoding: .utf8)
        let scratch = ScratchDirectory(under: "/tmp")
        let tracePath = scratch.sub("head.jsonl")
        try (full.split(separator: "\n").prefix(300).joined(separator: "\n") + "\n").write(
            toFile: tracePath, atomically: true, encoding: .utf8)
        let tier = scratch.sub("tier")
        let replay = try ReplayCommandTests.run([
            "replay", "--trace", tracePath, "--primary-blocks", "50", "--disk-blocks", "400",
            "--json",
            "--data", "--block-bytes", "8192", "--payload", "bf16", "--compression", "lz4-shuffle",
            "--disk-dir", tier, "--keep", "--direct-io", "required",
        ])
        #expect(replay.status == 0, "\(replay.stderr)")
        let counters = try #require(
            try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(counters["verify_failures"] as? Int == 0)
        let resident = try #require(counters["resident_disk"] as? Int)
        #expect(resident > 0)
        let verify = try ReplayCommandTests.run([
            "disk", "verify", "--disk-dir", tier, "--pattern", "bf16", "--json",
        ])
        #expect(verify.status == 0, "\(verify.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        #expect(report["verified"] as? Int == resident)
        #expect(report["pattern_mismatch"] as? Int == 0)
    }
}
