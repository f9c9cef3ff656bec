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

    /// Request keys copied out of a trace's flat array: `TieringEngine.process(traceIDs:)`
    /// takes an Array, and its generic `process(keys:)` is not specialized across the
    /// engine's generic parameter (a profile showed runtime metadata lookups per key).
    /// Grows to the longest request, then is reused.
    private var requestIDs: [UInt64] = []

    /// Replays request `index` of `trace`.
    @inline(__always)
    public func replay(request index: Int, of trace: MooncakeTrace) {
        requestIDs.removeAll(keepingCapacity: true)
        requestIDs.append(contentsOf: trace.hashIDs[trace.hashIDRange(ofRequest: index)])
        engine.process(traceIDs: requestIDs)
    }

    /// Replays every request of `trace` in order; `progress` is called after each request
    /// with the number done (callers throttle their own output).
    public func replay(_ trace: MooncakeTrace, progress: ((Int) -> Void)? = nil) {
        for index in 0..<trace.count {
            replay(request: index, of: trace)
            progress?(index + 1)
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
