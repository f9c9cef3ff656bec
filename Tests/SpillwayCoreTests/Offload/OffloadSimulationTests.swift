// Seeded simulation of the offload tier's logic (OffloadDirectory + OffloadWorker) over
// SimulatedIO with injected faults: random store and load jobs on caller rows, lookups and
// partial progress, checked against plain expectations. Every failure names its seed;
// rerun one with SPILLWAY_SEED=<seed>.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

/// One seeded run: a caller that owns `rowCount` rows, submits jobs only on rows no job in
/// flight uses (the ABI's rule), and checks every result.
final class OffloadSimulation {
    let seed: UInt64
    let rowStride = 8192
    let rowCount = 12
    let keySpace = 40
    var rng: SplitMix64
    let memory: IOTestBuffer
    let directoryModel: OffloadDirectoryBox
    let worker: OffloadWorker<SimulatedIO>
    /// Jobs in flight: id → (job, rows).
    var inFlight: [UInt64: OffloadJob] = [:]
    var busyRows: Set<Int> = []
    var nextJob: UInt64 = 1
    /// Keys whose store succeeded at least once (a key always names the same bytes, as
    /// vLLM's content hashes do, so a hit must read back exactly `payload(key)`).
    var everStored: Set<BlockKey> = []
    var successfulLoads = 0
    var failedLoads = 0
    var reported: Set<UInt64> = []

    final class OffloadDirectoryBox {
        var directory = OffloadDirectory(held: [])
    }

    init(seed: UInt64, faults: SimulatedIO.FaultPlan, capacityBytes: Int) throws {
        self.seed = seed
        rng = SplitMix64(seed: seed)
        memory = IOTestBuffer(byteCount: rowStride * rowCount)
        let io = SimulatedIO(seed: seed ^ 0xA5A5, requiredAlignment: 4096, queueDepth: 4)
        var options = DiskTierOptions(
            capacityBytes: capacityBytes, blockByteCountMax: rowStride,
            codec: [.none, .lz4, .lz4Shuffle2][Int(seed % 3)], jobCountMax: 4)
        // As the offload tier runs it: raw aligned rows move in place (codec none).
        options.zeroCopy = true
        let tier = try DiskTier(io: io, options: options)
        // Faults from here on: creating the tier is not what this simulation tests.
        io.faults = faults
        let rows = try RowMemory(base: memory.pointer, rowStride: rowStride, rowCount: rowCount)
        worker = try OffloadWorker(tier: tier, memory: rows, syncIntervalBlocks: 7)
        directoryModel = OffloadDirectoryBox()
    }

    func key(_ index: Int) -> BlockKey {
        BlockKey(bytes: (0..<36).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) })!
    }

    func payloadKind(_ key: BlockKey) -> PayloadKind {
        [PayloadKind.random, .bf16, .zeros][Int(key.bytes[0]) % 3]
    }

    func row(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: memory.pointer + index * rowStride, count: rowStride)
    }

    func freeRows(_ count: Int) -> [Int]? {
        let free = (0..<rowCount).filter { !busyRows.contains($0) }
        guard free.count >= count else { return nil }
        var pool = free
        var chosen: [Int] = []
        for _ in 0..<count { chosen.append(pool.remove(at: rng.below(pool.count))) }
        return chosen
    }

    func submit(_ job: OffloadJob) throws {
        let writes = try directoryModel.directory.admit(job, rowCount: rowCount)
        inFlight[job.id] = job
        removalsAtSubmit[job.id] = job.keys.map { removals[$0, default: 0] }
        busyRows.formUnion(job.rows)
        worker.start(job, writes: writes)
        pendingWrites[job.id] = writes
    }
    var pendingWrites: [UInt64: [Bool]] = [:]
    /// `.removed` events applied so far, per key, and their count when each load job was
    /// submitted: a failed load must be reported as a removal before its job finishes.
    var removals: [BlockKey: Int] = [:]
    var removalsAtSubmit: [UInt64: [Int]] = [:]

    func step() throws {
        switch rng.below(10) {
        case 0..<4:
            let count = 1 + rng.below(4)
            guard let rows = freeRows(count) else { break }
            let keys = (0..<count).map { _ in key(rng.below(keySpace)) }
            for (key, row) in zip(keys, rows) {
                PayloadGenerator.fill(self.row(row), key: key, kind: payloadKind(key))
            }
            try submit(OffloadJob(id: nextJob, kind: .store, keys: keys, rows: rows))
            nextJob += 1
        case 4..<7:
            let count = 1 + rng.below(4)
            guard let rows = freeRows(count) else { break }
            // Mostly keys the directory says it holds, like vLLM after a HIT. Sorted: a Set's
            // order changes per process, and a seed must replay the same run.
            let held = directoryModel.directory.held.sorted {
                $0.bytes.lexicographicallyPrecedes($1.bytes)
            }
            let keys = (0..<count).map { _ in
                !held.isEmpty && rng.below(4) != 0
                    ? held[rng.below(held.count)] : key(rng.below(keySpace))
            }
            for row in rows { self.row(row).initializeMemory(as: UInt8.self, repeating: 0xEE) }
            try submit(OffloadJob(id: nextJob, kind: .load, keys: keys, rows: rows))
            nextJob += 1
        case 7:
            let probe = key(rng.below(keySpace))
            let answer = directoryModel.directory.lookup(probe)
            if answer == .hit {
                #expect(everStored.contains(probe), "seed \(seed): hit for a key never stored")
            }
        default:
            try progress(wait: rng.below(2) == 0)
        }
    }

    func progress(wait: Bool) throws {
        do { try worker.progress(wait: wait) } catch let error as OffloadTierError
        where error.code == .syncFailed {
            // An injected fdatasync failure: durability is refused, the data path goes on.
        }
        var events: [OffloadKeyEvent] = []
        var finished: [OffloadFinishedJob] = []
        worker.takeOutput(events: &events, finished: &finished)
        for event in events {
            directoryModel.directory.apply(event)
            if case .stored(let key) = event { everStored.insert(key) }
            if case .removed(let key) = event { removals[key, default: 0] += 1 }
        }
        for done in finished { check(done) }
        let stats = worker.stats
        #expect(stats.bytesUsed <= stats.capacityBytes, "seed \(seed): over capacity")
        if worker.isIdle {
            #expect(
                Set(worker.tier.keysLeastRecentFirst()) == directoryModel.directory.held,
                "seed \(seed): directory and tier disagree")
        }
    }

    func check(_ done: OffloadFinishedJob) {
        let id = done.result.id
        #expect(!reported.contains(id), "seed \(seed): job \(id) reported twice")
        reported.insert(id)
        guard let job = inFlight.removeValue(forKey: id) else {
            Issue.record("seed \(seed): job \(id) finished but was never submitted")
            return
        }
        directoryModel.directory.finish(job, writes: done.writes)
        busyRows.subtract(job.rows)
        #expect(done.result.keySucceeded.count == job.keys.count)
        guard job.kind == .load else { return }
        for (index, key) in job.keys.enumerated() {
            if done.result.keySucceeded[index] {
                successfulLoads += 1
                #expect(
                    PayloadGenerator.matches(
                        UnsafeRawBufferPointer(row(job.rows[index])), key: key,
                        kind: payloadKind(key)),
                    "seed \(seed): WRONG BYTES served for \(key) in job \(id)")
            } else {
                failedLoads += 1
                // Reported as a removal, in order, before the job finished: the key is a
                // miss from then on unless a store of it completed since. (Whether the tier
                // holds it now is not asked here: the tier can drop a block for a later
                // job's failed load before that removal is reported. Directory and tier
                // must agree whenever the worker is idle, checked in `progress`.)
                #expect(
                    removals[key, default: 0] > removalsAtSubmit[id]![index],
                    "seed \(seed): \(key)'s failed load in job \(id) was not reported as a removal")
            }
        }
    }

    func run(steps: Int) throws {
        for _ in 0..<steps { try step() }
        while !worker.isIdle || !inFlight.isEmpty { try progress(wait: true) }
        #expect(inFlight.isEmpty, "seed \(seed): \(inFlight.count) jobs never reported")
        #expect(directoryModel.directory.inFlightJobCount == 0)
        // The directory and the disk tier agree on what is held.
        let held = Set(worker.tier.keysLeastRecentFirst())
        #expect(held == directoryModel.directory.held, "seed \(seed): directory and tier disagree")
    }
}

@Suite("Offload tier simulation")
struct OffloadSimulationTests {
    static var seeds: [UInt64] {
        if let fixed = ProcessInfo.processInfo.environment["SPILLWAY_SEED"].flatMap(UInt64.init) {
            return [fixed]
        }
        let count = ProcessInfo.processInfo.environment["SPILLWAY_SOAK"] == "1" ? 500 : 24
        return (0..<UInt64(count)).map { 0x0FF1_0AD0 + $0 }
    }

    @Test("without faults every load of a held key succeeds with the right bytes", arguments: seeds)
    func clean(seed: UInt64) throws {
        // Room for every key: nothing is evicted, so every load of a held key succeeds.
        let simulation = try OffloadSimulation(
            seed: seed, faults: .none, capacityBytes: 64 * 3 * 4096)
        try simulation.run(steps: 400)
        #expect(simulation.successfulLoads > 0, "seed \(seed): no load ever succeeded")
        let stats = simulation.worker.stats
        #expect(stats.blocksCorrupt == 0 && stats.blocksEvicted == 0, "seed \(seed)")
        #expect(stats.blocksLoaded == simulation.successfulLoads, "seed \(seed)")
    }

    @Test("with faults and a small capacity nothing wrong is served", arguments: seeds)
    func chaos(seed: UInt64) throws {
        let simulation = try OffloadSimulation(
            seed: seed, faults: .chaos(rate: 0.03), capacityBytes: 10 * 3 * 4096)
        try simulation.run(steps: 400)
        #expect(simulation.successfulLoads + simulation.failedLoads > 0, "seed \(seed)")
    }
}
