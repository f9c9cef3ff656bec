// Replays a Mooncake trace through the tiering engine and reports its counters (docs/SEMANTICS.md).

/// Replays traces: every request, in file order, through one `TieringEngine`.
public final class ReplayEngine<DataPath: TierDataPath> {
    /// The engine (and through it the directory) the replay drives.
    package let engine: TieringEngine<DataPath>
    public let primaryBlocks: Int
    public let diskBlocks: Int

    /// A replay over a fresh directory.
    public init(primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy, dataPath: DataPath) {
        precondition(primaryBlocks >= 0 && diskBlocks >= 0, "capacities are validated by the caller")
        self.primaryBlocks = primaryBlocks
        self.diskBlocks = diskBlocks
        engine = TieringEngine(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy, dataPath: dataPath)
    }

    /// Replays one request.
    public func replay(_ request: TraceRequest) { engine.process(traceIDs: request.hashIDs) }

    /// Replays request `index` of `trace`.
    public func replay(request index: Int, of trace: MooncakeTrace) {
        if let simulated = simulation {
            simulated.replayRequests(index..<(index + 1), of: trace, progress: nil)
        } else {
            replayRequests(index..<(index + 1), of: trace, progress: nil)
        }
    }

    /// Replays every request of `trace` in order; `progress` is called after each request
    /// with the number done (callers throttle their own output).
    public func replay(_ trace: MooncakeTrace, progress: ((Int) -> Void)? = nil) {
        if let simulated = simulation {
            simulated.replayRequests(0..<trace.count, of: trace, progress: progress)
        } else {
            replayRequests(0..<trace.count, of: trace, progress: progress)
        }
    }

    /// This engine as a `ReplayEngine<SimulatedDataPath>` when that is what it is. Callers in
    /// other modules reach the generic (unspecialized) code of this class, where every data
    /// path call is a witness-table call taking the key indirectly; calling through this
    /// concrete type lets the compiler specialize the engine, the core and the directory
    /// for the simulation (the replay's hot loop), which then moves nothing at all.
    @inline(__always)
    private var simulation: ReplayEngine<SimulatedDataPath>? {
        DataPath.self == SimulatedDataPath.self
            ? unsafeDowncast(self, to: ReplayEngine<SimulatedDataPath>.self) : nil
    }

    /// Replays requests `range` of `trace`, each straight from the trace's flat key array.
    private func replayRequests(_ range: Range<Int>, of trace: MooncakeTrace, progress: ((Int) -> Void)?) {
        let engine = self.engine
        trace.hashIDs.withUnsafeBufferPointer { ids in
            for index in range {
                engine.process(traceIDs: UnsafeBufferPointer(rebasing: ids[trace.hashIDRange(ofRequest: index)]))
                progress?(index + 1)
            }
        }
    }

    /// The counters so far.
    public var counters: ReplayCounters {
        ReplayCounters(
            counters: engine.counters, residentPrimary: engine.residentPrimary,
            residentDisk: engine.residentDisk, primaryBlocks: primaryBlocks,
            diskBlocks: diskBlocks, policy: engine.policy)
    }
}

extension ReplayEngine where DataPath == SimulatedDataPath {
    /// A pure simulation (no bytes move).
    public convenience init(primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy) {
        self.init(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy,
            dataPath: SimulatedDataPath())
    }
}
