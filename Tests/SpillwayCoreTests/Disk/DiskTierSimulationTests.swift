// Seeded simulation of the disk tier: random store / load / touch / remove / sync / crash
// workloads with injected faults, checked step by step against a plain reference model.
// Every failure message carries the seed; rerun one with SPILLWAY_SEED=<seed>.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

/// The reference: what each key must read back as. A block's bytes are the deterministic
/// payload of (key, version), so the model only keeps versions.
struct DiskReferenceModel {
    /// Committed version per key (stored, not evicted, removed or dropped).
    var version: [UInt64: UInt64] = [:]
    /// Keys with a store in flight (the old version is gone once the store is submitted).
    var pending: [UInt64: UInt64] = [:]
    /// Committed versions at the last successful sync, and keys changed since then.
    var durable: [UInt64: UInt64] = [:]
    var changedSinceSync: Set<UInt64> = []

    mutating func forget(_ key: UInt64) {
        version[key] = nil
        changedSinceSync.insert(key)
    }
}

enum SimulatedBlock {
    static let kinds: [PayloadKind] = [.random, .zeros, .bf16, .mixed(compressibleFraction: 0.5)]

    /// The payload key, length and kind of version `version` of block `key`.
    static func shape(key: UInt64, version: UInt64, blockMax: Int) -> (BlockKey, Int, PayloadKind) {
        var rng = SplitMix64(seed: key &* 0x9E37_79B9 &+ version)
        let length = 1 + rng.below(blockMax)
        let kind = kinds[rng.below(kinds.count)]
        let payloadKey = BlockKey(
            bytes: [UInt8](repeating: UInt8(truncatingIfNeeded: key), count: 1)
                + withUnsafeBytes(of: key.bigEndian, Array.init)
                + withUnsafeBytes(of: version.bigEndian, Array.init))!
        return (payloadKey, length, kind)
    }

    static func fill(
        _ buffer: UnsafeMutableRawBufferPointer, key: UInt64, version: UInt64, blockMax: Int
    ) -> Int {
        let (payloadKey, length, kind) = shape(key: key, version: version, blockMax: blockMax)
        PayloadGenerator.fill(
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]), key: payloadKey, kind: kind
        )
        return length
    }

    static func matches(
        _ buffer: UnsafeRawBufferPointer, key: UInt64, version: UInt64, blockMax: Int
    ) -> Bool {
        let (payloadKey, length, kind) = shape(key: key, version: version, blockMax: blockMax)
        return buffer.count == length
            && PayloadGenerator.matches(buffer, key: payloadKey, kind: kind)
    }
}

/// Which durable state an index holds: its checkpoint and the journal batches on top.
struct DurablePoint: Equatable {
    var generation: UInt64
    var batches: Int
    init(generation: UInt64, batches: Int) {
        self.generation = generation
        self.batches = batches
    }
    init<IO>(_ tier: DiskTier<IO>) {
        let inspection = tier.inspect()
        self.init(generation: inspection.checkpointGeneration, batches: inspection.journalBatches)
    }
}

/// One seeded run.
final class DiskSimulation {
    let seed: UInt64
    let blockMax = 12_000
    let keySpace: UInt64 = 48
    var rng: SplitMix64
    let io: SimulatedIO
    var tier: DiskTier<SimulatedIO>
    let options: DiskTierOptions
    var model = DiskReferenceModel()
    /// Durability point (checkpoint generation, journal batches on top) of the last
    /// successful sync, or of the state a reopen recovered.
    var durablePoint = DurablePoint(generation: 0, batches: 0)
    var nextVersion: UInt64 = 1
    /// Async loads in flight: token → (key, expected version or nil, buffer).
    var loads:
        [UInt64: (key: UInt64, version: UInt64?, pending: UInt64?, mayBeDropped: Bool, stale: Bool, buffer: TestBuffer)] =
            [:]
    var stores: [UInt64: (key: UInt64, version: UInt64)] = [:]
    var completedTokens: Set<UInt64> = []
    var nextToken: UInt64 = 1
    let source = TestBuffer(count: 12_000)
    var faults: SimulatedIO.FaultPlan
    var crashes = 0
    /// Versions whose store completed inside the tier and were then dropped (failed load,
    /// remove) before the simulation took the store's completion.
    var droppedVersions: Set<UInt64> = []
    let faultRate: Double
    /// Keys restored from a checkpoint after a crash and not rewritten since: their extent
    /// may have been reused before the crash, so a load may fail (never return other bytes).
    var maybeStale: Set<UInt64> = []

    /// Data files that held an extent after some step (a striped tier must use them all).
    var filesUsed = Set<Int>()

    /// Makes the tier's encoder after every open (nil: the default inline encoder).
    var makeEncoder: ((UInt64) -> any DiskEncoder)?

    /// - Parameter directories: how many directories (data files) the tier stripes over.
    init(
        seed: UInt64, alignment: Int, faultRate: Double, codec: DiskCodec? = nil,
        directories: Int = 1
    ) throws {
        self.seed = seed
        self.faultRate = faultRate
        rng = SplitMix64(seed: seed)
        faults = .chaos(rate: faultRate)
        io = SimulatedIO(
            seed: seed ^ 0xABCDEF, requiredAlignment: alignment, queueDepth: 8, faults: .none,
            directories: ["sim"] + (1..<max(1, directories)).map { "dev\($0)" })
        let codec = codec ?? DiskCodec.allCases[Int(seed % 3)]
        // 40 pages: far fewer than the key space needs, so eviction runs constantly.
        var options = DiskTierOptions(
            capacityBytes: 40 * 4096, blockByteCountMax: blockMax, codec: codec, jobCountMax: 6)
        // This model says a reopen holds exactly the last durable checkpoint; recovery by
        // scan (which may also bring back blocks stored after it when a crash tears the
        // newer slot) is tested on its own in DiskTierScanRecoveryTests.
        options.scanRecovery = false
        self.options = options
        tier = try DiskTier(io: io, options: options)
        durablePoint = DurablePoint(tier)
        io.faults = faults
        attachHandler()
    }

    func attachHandler() {
        if let makeEncoder { tier.useEncoder(makeEncoder(seed &+ UInt64(crashes))) }
        // Small journals: syncs alternate between journal batches and full checkpoints
        // (compaction), so crashes hit both.
        tier.journalBytesMin = 4096 * Int(seed % 4)
        tier.evictionHandler = { [unowned self] key in
            let id = key.traceID!
            #expect(
                model.version[id] != nil,
                "seed \(seed): evicted \(id), which the model does not hold")
            model.forget(id)
            log(id, "evicted")
        }
    }

    var history: [UInt64: [String]] = [:]
    func log(_ key: UInt64, _ event: String) { history[key, default: []].append(event) }

    func note(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { Issue.record("seed \(seed): \(message())") }
    }

    func run(steps: Int) throws {
        for _ in 0..<steps {
            try step()
            tier.checkInvariants()
            note(tier.usedBytes <= tier.capacityBytes, "capacity exceeded")
            for file in 0..<tier.dataFileCount where tier.usedBytes(inFile: file) > 0 {
                filesUsed.insert(file)
            }
        }
        try drain()
        // Final pass without faults: every block the model holds reads back exactly.
        io.faults = .none
        for (key, version) in model.version.sorted(by: { $0.key < $1.key }) {
            let buffer = TestBuffer(count: blockMax)
            let outcome = try tier.load(key: BlockKey(traceID: key), into: buffer.pointer)
            guard case .loaded(let count) = outcome else {
                note(
                    maybeStale.contains(key) && outcome != .miss,
                    "final: key \(key) v\(version) → \(outcome)")
                if case .failed = outcome { model.forget(key) }
                continue
            }
            note(
                SimulatedBlock.matches(
                    UnsafeRawBufferPointer(buffer.prefix(count)), key: key, version: version,
                    blockMax: blockMax),
                "final: key \(key) served wrong bytes")
        }
        note(
            tier.blockCount == model.version.count,
            "final: tier holds \(tier.blockCount) blocks, model \(model.version.count)")
        tier.checkInvariants()
    }

    func step() throws {
        let key = UInt64(rng.below(Int(keySpace)))
        let roll = rng.below(100)
        switch roll {
        case 0..<30: submitStore(key)
        case 30..<60: submitLoad(key)
        case 60..<72: try poll(wait: rng.chance(0.5))
        case 72..<77:
            // A store whose completion is not yet taken may already be readable.
            let expected = model.version[key] != nil && model.pending[key] == nil
            let touched = tier.touch(BlockKey(traceID: key))
            note(
                touched == expected || model.pending[key] != nil || loadInFlight(key),
                "touch \(key) disagrees with the model (model \(expected)): \(history[key] ?? [])")
        case 77..<82:
            let expected = model.version[key] != nil
            let removed = tier.remove(BlockKey(traceID: key))
            note(
                removed == expected || model.pending[key] != nil || loadInFlight(key),
                "remove \(key) returned \(removed), model holds \(expected): \(history[key] ?? [])")
            if removed, let pending = model.pending[key] { droppedVersions.insert(pending) }
            if removed {
                model.forget(key)
                log(key, "removed")
            }
        case 82..<87: try syncRetrying()
        case 87..<90: try crashAndReopen()
        default: try facadeLoad(key)
        }
    }

    func submitStore(_ key: UInt64) {
        guard model.pending[key] == nil else { return }  // `busy` is covered elsewhere
        let version = nextVersion
        let length = SimulatedBlock.fill(
            source.pointer, key: key, version: version, blockMax: blockMax)
        let token = nextToken
        // A refusal (every job busy) changes nothing. An accepted store drops the old copy
        // at once; evictions during submission reach the model through the handler.
        guard
            tier.submitStore(
                key: BlockKey(traceID: key), bytes: UnsafeRawBufferPointer(source.prefix(length)),
                token: token)
        else { return }
        nextVersion += 1
        nextToken += 1
        if model.version[key] != nil { model.forget(key) }
        model.pending[key] = version
        stores[token] = (key, version)
        log(key, "store v\(version) t\(token)")
    }

    /// Whether a load of `key` is in flight: it may fail inside the tier and drop the block
    /// before the simulation takes its completion.
    func loadInFlight(_ key: UInt64) -> Bool { loads.values.contains { $0.key == key } }

    func submitLoad(_ key: UInt64) {
        let buffer = TestBuffer(count: blockMax)
        let token = nextToken
        let expected = model.pending[key] == nil ? model.version[key] : nil
        let mayBeDropped = loadInFlight(key)
        guard tier.submitLoad(key: BlockKey(traceID: key), into: buffer.pointer, token: token)
        else { return }
        nextToken += 1
        loads[token] = (key, expected, model.pending[key], mayBeDropped, maybeStale.contains(key), buffer)
    }

    func facadeLoad(_ key: UInt64) throws {
        let buffer = TestBuffer(count: blockMax)
        let expected = model.pending[key] == nil ? model.version[key] : nil
        let pending = model.pending[key]
        let mayBeDropped = loadInFlight(key)
        let outcome = try tier.load(key: BlockKey(traceID: key), into: buffer.pointer)
        checkLoad(
            key: key, expected: expected, pending: pending, mayBeDropped: mayBeDropped,
            stale: maybeStale.contains(key), outcome: outcome, buffer: buffer)
    }

    /// `expected`: the committed version when the load was submitted; `pending`: the
    /// version of a store in flight then, which may already have completed inside the tier
    /// (its completion not yet taken), so reading it is allowed too. `mayBeDropped`: another
    /// load of the key was in flight, which may have failed (dropping the block) before its
    /// completion was taken, so a miss is allowed.
    /// `stale`: the key was restored from a checkpoint after a crash and not rewritten when
    /// the load was submitted, so the extent it reads may hold other bytes (a failure, never
    /// a wrong block).
    func checkLoad(
        key: UInt64, expected: UInt64?, pending: UInt64?, mayBeDropped: Bool, stale: Bool,
        outcome: DiskLoadOutcome,
        buffer: TestBuffer
    ) {
        switch outcome {
        case .loaded(let count):
            guard let version = expected ?? pending else {
                note(
                    false,
                    "load \(key) returned a block the model does not hold: \(history[key] ?? [])")
                return
            }
            note(
                SimulatedBlock.matches(
                    UnsafeRawBufferPointer(buffer.prefix(count)), key: key, version: version,
                    blockMax: blockMax),
                "load \(key) v\(version) returned WRONG BYTES")
        case .miss:
            note(
                expected == nil || pending != nil || mayBeDropped,
                "load \(key) missed but the model holds v\(expected ?? 0): \(history[key] ?? [])")
        case .failed(let failure):
            if case .bufferTooSmall = failure { note(false, "load \(key): buffer too small") }
            note(
                faultRate > 0 || stale,
                "load \(key) failed (\(failure)) without injected faults: \(history[key] ?? [])")
            // The tier dropped the block if it was still the same one.
            if let version = expected, model.version[key] == version, model.pending[key] == nil {
                model.forget(key)
            }
            if expected == nil, let version = pending {
                // The store of `version` completed inside the tier before this load read it;
                // if the simulation already took that completion, forget it now, else when
                // it is taken.
                if model.version[key] == version { model.forget(key) } else { droppedVersions.insert(version) }
            }
            log(key, "load failed \(failure)")
        }
    }

    func poll(wait: Bool) throws {
        var completions: [DiskCompletion] = []
        if wait {
            try tier.wait(into: &completions, minimum: 1)
        } else {
            try tier.poll(into: &completions)
        }
        handle(completions)
    }

    func handle(_ completions: [DiskCompletion]) {
        for completion in completions {
            note(
                completedTokens.insert(completion.token).inserted,
                "token \(completion.token) completed twice")
            switch completion.outcome {
            case .store(let outcome):
                guard let store = stores.removeValue(forKey: completion.token) else {
                    note(false, "store completion for unknown token \(completion.token)")
                    continue
                }
                note(store.key == completion.key.traceID, "store completion key mismatch")
                model.pending[store.key] = nil
                model.changedSinceSync.insert(store.key)
                maybeStale.remove(store.key)
                log(store.key, "stored t\(completion.token) \(outcome)")
                if outcome == .stored, !droppedVersions.contains(store.version) {
                    model.version[store.key] = store.version
                } else {
                    model.version[store.key] = nil
                }
            case .load(let outcome):
                guard let load = loads.removeValue(forKey: completion.token) else {
                    note(false, "load completion for unknown token \(completion.token)")
                    continue
                }
                checkLoad(
                    key: load.key, expected: load.version, pending: load.pending,
                    mayBeDropped: load.mayBeDropped, stale: load.stale, outcome: outcome,
                    buffer: load.buffer)
            }
        }
    }

    func drain() throws {
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        handle(completions)
        note(
            stores.isEmpty && loads.isEmpty,
            "\(stores.count) stores and \(loads.count) loads never completed")
        note(
            tier.inFlightJobCount == 0 && io.outstandingRequestCount == 0,
            "jobs or requests leaked: \(tier.inFlightJobCount) jobs, \(io.outstandingRequestCount) requests, stores \(stores), loads \(loads.map { ($0.key, $0.value.key) }), crashes \(crashes)"
        )
    }

    func syncRetrying() throws {
        for attempt in 0..<50 {
            do {
                try tier.sync()
                break
            } catch let error as DiskTierError where error.code == .syncFailed {
                if tier.needsReopen {
                    // A failed data fdatasync: no later sync may promise durability, so the
                    // owner reopens (a crash is the harshest form: unsynced writes may be
                    // torn or lost). An earlier attempt of this sync may have failed only
                    // at its checkpoint fdatasync, leaving a complete checkpoint of the
                    // current state that the crash can make durable, so the reopened tier
                    // holds either the last durable state or the current one.
                    var completions: [DiskCompletion] = []
                    try tier.poll(into: &completions)
                    handle(completions)
                    try crashAndReopen(orMaybe: model.version)
                    return
                }
                note(attempt < 49, "sync kept failing")
            }
        }
        var completions: [DiskCompletion] = []
        try tier.poll(into: &completions)
        handle(completions)
        model.durable = model.version
        durablePoint = DurablePoint(tier)
        model.changedSinceSync = []
        for key in 0..<keySpace { log(key, "sync v=\(model.version[key] as Any)") }
    }

    /// - Parameter alternative: a second state the reopened index may rightly hold instead of
    ///   the last durable one (see `syncRetrying`).
    func crashAndReopen(orMaybe alternative: [UInt64: UInt64]? = nil) throws {
        crashes += 1
        io.crash()
        stores.removeAll()
        loads.removeAll()
        model.pending.removeAll()
        io.faults = .none
        tier = try DiskTier(io: io, options: options)
        defer { io.faults = faults }
        attachHandler()
        tier.checkInvariants()
        // The durability point says which state the index holds: the last durable one, or
        // the one an attempt of the poisoned sync wrote (a checkpoint or a journal batch
        // later) and the crash happened to keep.
        let recovered = DurablePoint(tier)
        if let alternative, recovered != durablePoint { model.durable = alternative }
        durablePoint = recovered
        // The index is exactly the last durable state.
        note(
            tier.blockCount == model.durable.count,
            "after crash: \(tier.blockCount) blocks, durable model \(model.durable.count); extra: \(tier.keysLeastRecentFirst().compactMap(\.traceID).filter { model.durable[$0] == nil }.map { ($0, history[$0] ?? []) })")
        for key in model.durable.keys where !tier.contains(BlockKey(traceID: key)) {
            note(false, "after crash: durable key \(key) missing from the index: \(history[key] ?? [])")
        }
        for key in 0..<keySpace { log(key, "crash durable=\(model.durable[key] as Any)") }
        model.version = model.durable
        model.changedSinceSync = []
        maybeStale = Set(model.durable.keys)
    }
}

@Suite("DiskTier seeded simulation")
struct DiskTierSimulationTests {
    static var seeds: [UInt64] {
        if let text = ProcessInfo.processInfo.environment["SPILLWAY_SEED"], let seed = UInt64(text)
        {
            return [seed]
        }
        let count = ProcessInfo.processInfo.environment["SPILLWAY_SOAK"] == "1" ? 2000 : 24
        // Hashed, not stepped by SplitMix's increment (that would give shifted copies of
        // one stream).
        // SPILLWAY_SEED_BASE picks another set of seeds for a soak.
        let base = UInt64(ProcessInfo.processInfo.environment["SPILLWAY_SEED_BASE"] ?? "") ?? 0
        return (0..<UInt64(count)).map { index in
            var mixer = SplitMix64(seed: (base &* 1_000_003 &+ index) ^ 0x5EED_5EED)
            return mixer.next()
        }
    }

    @Test(
        "random workloads with faults never serve wrong bytes; every job completes once; no leaks",
        arguments: [1, 4096])
    func faultyWorkloads(alignment: Int) throws {
        var injected = SimulatedIO.FaultCounts()
        var handled = DiskTierStats()
        for seed in Self.seeds {
            let simulation = try DiskSimulation(seed: seed, alignment: alignment, faultRate: 0.03)
            try simulation.run(steps: 400)
            let counts = simulation.io.faultCounts
            injected.readErrors += counts.readErrors
            injected.writeErrors += counts.writeErrors
            injected.writeNoSpace += counts.writeNoSpace
            injected.shortTransfers += counts.shortTransfers
            injected.readBitFlips += counts.readBitFlips
            injected.interruptions += counts.interruptions
            injected.crashes += counts.crashes
            injected.crashTornWrites += counts.crashTornWrites
            let stats = simulation.tier.stats
            handled.retries += stats.retries
            handled.resubmissions += stats.resubmissions
            handled.checksumMismatch += stats.checksumMismatch
            handled.ioError += stats.ioError
            handled.storeFailures += stats.storeFailures
        }
        // The workloads must actually have met every fault, or they prove nothing.
        #expect(injected.readErrors > 0 && injected.writeErrors > 0 && injected.writeNoSpace > 0)
        #expect(injected.shortTransfers > 0 && injected.readBitFlips > 0 && injected.interruptions > 0)
        #expect(injected.crashes > 0 && injected.crashTornWrites > 0)
        #expect(handled.retries > 0 && handled.resubmissions > 0 && handled.checksumMismatch > 0)
        #expect(handled.ioError > 0 && handled.storeFailures > 0)
    }

    @Test(
        "striped over 2 and 3 directories: faults and crashes, checked against the reference; every file holds blocks",
        arguments: [2, 3])
    func stripedWorkloads(directories: Int) throws {
        var injected = SimulatedIO.FaultCounts()
        for (index, seed) in Self.seeds.enumerated() {
            // Half the seeds without data faults (crashes only), half with them.
            let simulation = try DiskSimulation(
                seed: seed, alignment: 4096, faultRate: index % 2 == 0 ? 0 : 0.03,
                directories: directories)
            #expect(simulation.tier.dataFileCount == directories, "seed \(seed)")
            try simulation.run(steps: 400)
            #expect(
                simulation.filesUsed.count == directories,
                "seed \(seed): files used \(simulation.filesUsed.sorted())")
            let counts = simulation.io.faultCounts
            injected.crashes += counts.crashes
            injected.crashTornWrites += counts.crashTornWrites
            injected.readErrors += counts.readErrors
            injected.writeErrors += counts.writeErrors
        }
        #expect(injected.crashes > 0 && injected.crashTornWrites > 0)
        #expect(injected.readErrors > 0 && injected.writeErrors > 0)
    }

    @Test("without data faults, crashes lose exactly the unsynced changes", arguments: [1, 4096])
    func crashesWithoutFaults(alignment: Int) throws {
        for seed in Self.seeds {
            let simulation = try DiskSimulation(seed: seed, alignment: alignment, faultRate: 0)
            try simulation.run(steps: 400)
            #expect(simulation.io.faultCounts.readErrors == 0)
            #expect(simulation.tier.stats.retries == 0)
        }
    }
}
