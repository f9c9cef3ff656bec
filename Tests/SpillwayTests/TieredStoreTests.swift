// TieredStore: the job/poll facade over the manager and the real data path, against a plain
// dictionary of what was stored, with simulated read faults.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct TieredStoreTests {
    static let rowStride = 4096

    final class Fixture {
        let region: SharedOffloadRegion
        let io: SimulatedIO
        let store: TieredStore<RegionRowStore, SimulatedIO>
        init(
            rows: Int, diskBlocks: Int, policy: TieringPolicy,
            faults: SimulatedIO.FaultPlan = .none, seed: UInt64 = 1
        ) throws {
            let options = DataModeOptions(
                primaryBlocks: rows, diskBlocks: diskBlocks, policy: policy,
                blockBytes: TieredStoreTests.rowStride, queueDepth: 8)
            region = try DataModeReplay.makeRegion(options)
            io = SimulatedIO(seed: seed, queueDepth: 8, faults: faults)
            let disk = try DiskTier(io: io, options: DataModeReplay.diskOptions(options))
            store = TieredStore(region: region, disk: disk, diskBlocks: diskBlocks, policy: policy)
        }
        deinit { region.cleanup() }
    }

    static func bytes(_ key: BlockKey) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: rowStride)
        buffer.withUnsafeMutableBytes { PayloadGenerator.fill($0, key: key, kind: .random) }
        return buffer
    }

    /// Setup: 4 rows, 32 disk records, spill; 20 blocks stored one job each (so 16 spill),
    /// then every block loaded through the synchronous facade. Checks: every load returns
    /// exactly the stored bytes (disk-only ones are promoted), the disk held the spilled
    /// ones, invariants hold.
    @Test func syncFacadeRoundTripsThroughDisk() throws {
        let f = try Fixture(rows: 4, diskBlocks: 32, policy: .spill)
        let keys = (0..<20).map { BlockKey(traceID: UInt64($0)) }
        for key in keys {
            let data = Self.bytes(key)
            #expect(data.withUnsafeBytes { f.store.store(key, bytes: $0) })
        }
        #expect(f.store.manager.directory.diskCount == 16)
        var buffer = [UInt8](repeating: 0, count: Self.rowStride)
        for key in keys.reversed() {
            let found = buffer.withUnsafeMutableBytes { f.store.load(key, into: $0) }
            #expect(found, "\(key)")
            #expect(buffer == Self.bytes(key), "\(key)")
        }
        let missing = buffer.withUnsafeMutableBytes {
            f.store.load(BlockKey(traceID: 999), into: $0)
        }
        #expect(!missing)
        _ = f.store.drain()
        #expect(f.store.dataPath.stats.diskSelfEvictions == 0)
        f.store.manager.directory.checkInvariants()
    }

    /// Setup: write-through, 8 rows, 64 disk records; store jobs for 3 batches of 4 keys,
    /// then load jobs for two prefixes submitted together, polled and waited. Checks: every
    /// job id comes back exactly once with its kind; load results list the leading stored
    /// keys with rows holding their bytes; rows stay pinned until releaseLoad (a store that
    /// would need them fails); drain leaves nothing pending.
    @Test func jobsPollWaitDrain() throws {
        let f = try Fixture(rows: 8, diskBlocks: 64, policy: .writeThrough)
        let view = f.region.createKVMemoryView()
        var next: UInt64 = 0
        var submitted: [UInt64: TieredJobResult.Kind] = [:]
        for batch in 0..<3 {
            let keys = (0..<4).map { BlockKey(traceID: UInt64(batch * 4 + $0)) }
            let accepted = f.store.submitStore(job: next, keys: keys) { key, row in
                Self.bytes(key).withUnsafeBytes { row.copyMemory(from: $0) }
            }
            #expect(accepted)
            submitted[next] = .store
            next += 1
        }
        var results = f.store.poll()
        results += f.store.wait(minimum: 3 - results.count)
        #expect(results.count == 3 && results.allSatisfy { $0.kind == .store })
        // Batch 0 was evicted from primary (8 rows, 12 blocks) but is on disk (write-through).
        let prefixA = (0..<4).map { BlockKey(traceID: UInt64($0)) } + [BlockKey(traceID: 500)]
        let prefixB = (8..<12).map { BlockKey(traceID: UInt64($0)) }
        #expect(f.store.submitLoad(job: 100, keys: prefixA))
        #expect(f.store.submitLoad(job: 101, keys: prefixB))
        var loads: [TieredJobResult] = []
        while loads.count < 2 { loads += f.store.wait(minimum: 1) }
        #expect(Set(loads.map(\.job)) == [100, 101])
        for result in loads {
            #expect(result.kind == .load && result.failedKeys.isEmpty)
            #expect(result.keys == (result.job == 100 ? Array(prefixA.prefix(4)) : prefixB))
            for (key, row) in zip(result.keys, result.rows) {
                #expect(Array(UnsafeRawBufferPointer(view[Int(row)])) == Self.bytes(key), "\(key)")
            }
        }
        // All 8 rows are pinned by the two loads: no room for a new block.
        let refused = f.store.submitStore(job: 200, keys: [BlockKey(traceID: 77)]) { _, _ in }
        #expect(!refused)
        for result in loads { f.store.releaseLoad(result) }
        #expect(
            f.store.submitStore(job: 201, keys: [BlockKey(traceID: 77)]) { key, row in
                Self.bytes(key).withUnsafeBytes { row.copyMemory(from: $0) }
            })
        let rest = f.store.drain()
        #expect(rest.map(\.job) == [201])
        #expect(f.store.pendingJobCount == 0)
        #expect(f.store.dataPath.stats.verifyFailures == 0)
        f.store.manager.directory.checkInvariants()
    }

    /// Setup: every simulated read fails (EIO), spill policy; 6 blocks in 2 rows, then a load
    /// job of a disk-only key. Checks: the job finishes with the key in failedKeys and no
    /// readable keys; the block is gone from both tiers (a later lookup misses); no bytes
    /// were handed out.
    @Test func failedReadIsAMissNeverWrongBytes() throws {
        let f = try Fixture(rows: 2, diskBlocks: 16, policy: .spill, faults: .init(readError: 1))
        for id in 0..<6 {
            let key = BlockKey(traceID: UInt64(id))
            let data = Self.bytes(key)
            #expect(data.withUnsafeBytes { f.store.store(key, bytes: $0) })
        }
        let key = BlockKey(traceID: 0)
        #expect(f.store.submitLoad(job: 9, keys: [key]))
        let results = f.store.wait(minimum: 1)
        #expect(results.count == 1)
        #expect(results.first?.keys.isEmpty == true)
        #expect(results.first?.failedKeys == [key])
        #expect(f.store.manager.lookup([key]) == .hit(count: 0, pending: 0))
        var buffer = [UInt8](repeating: 0xEE, count: Self.rowStride)
        let found = buffer.withUnsafeMutableBytes { f.store.load(BlockKey(traceID: 1), into: $0) }
        #expect(!found)
        #expect(buffer.allSatisfy { $0 == 0xEE })
        _ = f.store.drain()
        f.store.manager.directory.checkInvariants()
    }
}
