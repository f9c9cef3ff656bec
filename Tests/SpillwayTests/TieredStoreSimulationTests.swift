// TieredStore end to end under the seeded simulator: rows in plain memory (RowMemory, the
// primary tier's simulation seam), the disk tier over SimulatedIO with faults, random jobs
// checked against a dictionary of what was stored.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct TieredStoreSimulationTests {
    static let rowStride = 4096

    /// Setup: per seed and policy, 6 rows of plain memory, 24 disk records, a SimulatedIO
    /// injecting read errors, bit flips, short transfers, interruptions and reordering;
    /// 300 random jobs (stores of 1-3 keys filled with each key's bytes, loads of 1-4 keys,
    /// polls, waits, drains), every load released once checked. Checks: every key a load
    /// returns is one that was stored and its row holds exactly that key's bytes (never
    /// wrong bytes); every job comes back exactly once; faults did fail some reads (the case
    /// tests something) and each failed key then misses; invariants hold after every step.
    @Test(arguments: [(1, TieringPolicy.spill), (2, .spill), (3, .writeThrough)] as [(UInt64, SpillwayCore.TieringPolicy)])
    func randomJobsWithFaultsNeverServeWrongBytes(seedIndex: UInt64, policy: SpillwayCore.TieringPolicy) throws {
        let seed = SplitMix64.seed(fallback: 0x7153_0000 + seedIndex)
        var rng = SplitMix64(seed: seed)
        let rowCount = 6
        let diskBlocks = 24
        let memory = UnsafeMutableRawPointer.allocate(byteCount: rowCount * Self.rowStride, alignment: 4096)
        defer { memory.deallocate() }
        let rows = try RowMemory(base: memory, rowStride: Self.rowStride, rowCount: rowCount)
        let options = DataModeOptions(
            primaryBlocks: rowCount, diskBlocks: diskBlocks, policy: policy,
            blockBytes: Self.rowStride, queueDepth: 8)
        let faults = SimulatedIO.FaultPlan(
            readError: 0.05, shortTransfer: 0.05, readBitFlip: 0.05, reorder: 0.3, interrupted: 0.05)
        let io = SimulatedIO(seed: seed, queueDepth: 8, faults: faults)
        let disk = try DiskTier(io: io, options: DataModeReplay.diskOptions(options))
        let store = TieredStore(rows: rows, disk: disk, diskBlocks: diskBlocks, policy: policy)

        var stored: Set<UInt64> = []
        var outstanding: Set<UInt64> = []
        var failedReads = 0
        var servedBlocks = 0
        func bytes(_ id: UInt64) -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: Self.rowStride)
            buffer.withUnsafeMutableBytes { PayloadGenerator.fill($0, key: BlockKey(traceID: id), kind: .random) }
            return buffer
        }
        func settle(_ results: [TieredJobResult], step: Int) {
            for result in results {
                #expect(outstanding.remove(result.job) != nil, "seed \(seed) step \(step): job \(result.job) returned twice or never submitted")
                guard result.kind == .load else { continue }
                failedReads += result.failedKeys.count
                for (key, row) in zip(result.keys, result.rows) {
                    let id = key.traceID!
                    #expect(stored.contains(id), "seed \(seed) step \(step): load served \(key), never stored")
                    let got = rows.withRow(Int(row)) { Array(UnsafeRawBufferPointer($0)) }
                    #expect(got == bytes(id), "seed \(seed) step \(step): wrong bytes for \(key)")
                    servedBlocks += 1
                }
                store.releaseLoad(result)
                for key in result.failedKeys {
                    #expect(store.manager.lookup([key]) == .hit(count: 0, pending: 0), "seed \(seed) step \(step): failed \(key) still stored")
                }
            }
        }

        var job: UInt64 = 0
        for step in 0..<300 {
            switch rng.below(10) {
            case 0..<4:
                let ids = (0..<(1 + rng.below(3))).map { _ in UInt64(rng.below(40)) }
                let keys = ids.map { BlockKey(traceID: $0) }
                if store.submitStore(job: job, keys: keys, write: { key, row in
                    bytes(key.traceID!).withUnsafeBytes { row.copyMemory(from: $0) }
                }) {
                    outstanding.insert(job)
                    stored.formUnion(ids)
                }
                job += 1
            case 4..<8:
                let keys = (0..<(1 + rng.below(4))).map { _ in BlockKey(traceID: UInt64(rng.below(40))) }
                if store.submitLoad(job: job, keys: keys) { outstanding.insert(job) }
                job += 1
            case 8:
                settle(store.poll(), step: step)
            default:
                settle(rng.below(2) == 0 ? store.wait(minimum: 1) : store.drain(), step: step)
            }
            store.manager.directory.checkInvariants()
        }
        settle(store.drain(), step: 300)
        #expect(outstanding.isEmpty, "seed \(seed): jobs never returned: \(outstanding)")
        #expect(servedBlocks > 50 && failedReads > 0, "seed \(seed): served \(servedBlocks), failed reads \(failedReads)")
        #expect(store.dataPath.stats.diskSelfEvictions == 0)
    }
}
