// The threaded offload tier: jobs submitted from several threads at once while others poll
// and look up, every job reported exactly once, drain and sync that wait for the I/O
// thread, close that finishes everything, and calls after close that fail cleanly.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("Offload tier threads")
struct OffloadTierThreadTests {
    static let rowStride = 8192
    static let rowCount = 64

    static func makeTier(memory: IOTestBuffer) throws -> OffloadTier<SimulatedIO> {
        let io = SimulatedIO(seed: 42, requiredAlignment: 4096, queueDepth: 8)
        var options = DiskTierOptions(
            capacityBytes: 1 << 20, blockByteCountMax: rowStride, jobCountMax: 8)
        options.zeroCopy = true
        let tier = try DiskTier(io: io, options: options)
        let rows = try RowMemory(base: memory.pointer, rowStride: rowStride, rowCount: rowCount)
        return try OffloadTier(worker: OffloadWorker(tier: tier, memory: rows, syncIntervalBlocks: 16))
    }

    static func key(_ index: Int) -> BlockKey { BlockKey(traceID: UInt64(index)) }

    @Test("4 threads store and load disjoint rows concurrently; every job is reported once")
    func concurrentSubmitters() throws {
        let memory = IOTestBuffer(byteCount: Self.rowStride * Self.rowCount)
        let tier = try Self.makeTier(memory: memory)
        let threads = 4
        let rowsPerThread = Self.rowCount / threads
        // Threads write disjoint rows of this buffer: shared raw memory the compiler cannot check.
        nonisolated(unsafe) let rowBase = memory.pointer
        // Each thread owns rows [t*16, (t+1)*16): stores 16 keys, drains nothing, then loads
        // them back into the same rows after zeroing them.
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let base = thread * rowsPerThread
            for row in base..<(base + rowsPerThread) {
                PayloadGenerator.fill(
                    UnsafeMutableRawBufferPointer(
                        start: rowBase + row * Self.rowStride, count: Self.rowStride),
                    key: Self.key(row), kind: .random)
            }
            let keys = (base..<(base + rowsPerThread)).map(Self.key)
            try! tier.submit(
                OffloadJob(id: UInt64(thread), kind: .store, keys: keys,
                           rows: Array(base..<(base + rowsPerThread))))
            _ = tier.lookup(keys[0])
        }
        tier.drain()
        let results = tier.poll()
        #expect(results.count == threads && results.allSatisfy(\.isSuccess))
        #expect(Set(results.map(\.id)) == Set((0..<threads).map(UInt64.init)))
        memory.bytes.initializeMemory(as: UInt8.self, repeating: 0)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let base = thread * rowsPerThread
            // Load into the reversed rows of the same range.
            let rows = Array((base..<(base + rowsPerThread)).reversed())
            try! tier.submit(
                OffloadJob(id: 100 + UInt64(thread), kind: .load,
                           keys: (base..<(base + rowsPerThread)).map(Self.key), rows: rows))
        }
        var polled: [OffloadJobResult] = []
        while polled.count < threads {
            polled += tier.poll()
        }
        #expect(tier.poll().isEmpty && tier.unreportedJobCount == 0)
        #expect(Set(polled.map(\.id)) == Set((100..<(100 + threads)).map(UInt64.init)))
        for thread in 0..<threads {
            let base = thread * rowsPerThread
            for (index, row) in (base..<(base + rowsPerThread)).reversed().enumerated() {
                let key = Self.key(base + index)
                #expect(
                    PayloadGenerator.matches(
                        UnsafeRawBufferPointer(
                            start: memory.pointer + row * Self.rowStride, count: Self.rowStride),
                        key: key, kind: .random), "row \(row) does not hold \(key)")
            }
        }
        let stats = tier.stats()
        #expect(stats.blocksStored == 64 && stats.blocksLoaded == 64)
        #expect(stats.blocksZeroCopyStored == 64 && stats.blocksZeroCopyLoaded == 64)
        #expect(stats.syncs >= 3, "sync interval of 16 blocks over 64 stores")
        try tier.close()
    }

    @Test("pending while a store is in flight, hit after; bad jobs refused; closed tier refuses")
    func lifecycle() throws {
        let memory = IOTestBuffer(byteCount: Self.rowStride * Self.rowCount)
        let tier = try Self.makeTier(memory: memory)
        #expect(tier.lookup(Self.key(1)) == .miss)
        try tier.submit(OffloadJob(id: 1, kind: .store, keys: [Self.key(1)], rows: [0]))
        #expect([.pending, .hit].contains(tier.lookup(Self.key(1))))
        // Job 1 may be running or finished and unpolled: its id is taken either way.
        #expect(throws: OffloadTierError.self) {
            try tier.submit(OffloadJob(id: 1, kind: .store, keys: [Self.key(2)], rows: [1]))
        }
        tier.drain()
        #expect(throws: OffloadTierError.self) {
            try tier.submit(OffloadJob(id: 1, kind: .store, keys: [Self.key(2)], rows: [1]))
        }
        #expect(throws: OffloadTierError.self) {
            try tier.submit(OffloadJob(id: 2, kind: .load, keys: [Self.key(2)], rows: [Self.rowCount]))
        }
        try tier.sync()
        tier.drain()
        #expect(tier.lookup(Self.key(1)) == .hit)
        #expect(tier.poll().map(\.id) == [1])
        try tier.close()
        try tier.close()
        #expect(throws: OffloadTierError.self) {
            try tier.submit(OffloadJob(id: 3, kind: .store, keys: [Self.key(3)], rows: [2]))
        }
    }
}
