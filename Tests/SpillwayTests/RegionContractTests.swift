// The public contract of issue 2, written the way an outside program uses it: `import
// Spillway` only, string-literal directory, defaulted layout and timeout.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import Testing

@Suite("Region public contract (import Spillway only)")
struct RegionContractTests {
    /// Setup: a manager with every default (directory /dev/shm, layout, timeout) and a worker
    /// with an explicit string-literal directory and both layout cases. Checks: the contract
    /// names exist and behave (isCreator, rowStride, numBlocks, path, views, idempotent
    /// cleanup removing the file).
    @Test(arguments: [SharedOffloadRegion.Layout.seed, .pageAligned])
    func contractNames(layout: SharedOffloadRegion.Layout) throws {
        let id = "contract-\(UInt32.random(in: 0...UInt32.max))"
        let manager = try SharedOffloadRegion(
            instanceID: id, numBlocks: 3, rank: nil, numWorkers: 2, cpuPageSize: 1500,
            layout: layout)
        #expect(manager.path == "/dev/shm/vllm_offload_\(id).mmap")
        #expect(manager.isCreator && manager.numBlocks == 3)
        #expect(manager.rowStride == (layout == .seed ? 3000 : 4096))
        let worker = try SharedOffloadRegion(
            instanceID: id, numBlocks: 3, rank: 1, numWorkers: 2, cpuPageSize: 1500, layout: layout,
            directory: "/dev/shm", timeout: .seconds(5))
        #expect(!worker.isCreator)
        let view = try worker.createNextView(tensorPageSize: 1500)
        let row: UnsafeMutableRawBufferPointer = view[2]
        row.initializeMemory(as: UInt8.self, repeating: 0xEE)
        let kv = manager.createKVMemoryView()
        let kvRow: UnsafeMutableRawBufferPointer = kv[2]
        #expect(kvRow.count == manager.rowStride)
        #expect(kvRow[1499] == 0 && kvRow[1500] == 0xEE && kvRow[2999] == 0xEE)
        worker.cleanup()
        manager.cleanup()
        manager.cleanup()
        #expect(!FileManager.default.fileExists(atPath: manager.path))
    }
}

extension RegionContractTests {
    /// Every way of writing the joiner timeout compiles and picks the right initializer:
    /// omitted, seconds as Int or Double literal or variable, Duration literal or variable.
    @Test func timeoutSpellings() throws {
        let id = "timeouts-\(UInt32.random(in: 0...UInt32.max))"
        let seconds = 2.5
        let duration = Duration.milliseconds(300)
        let regions = try [
            SharedOffloadRegion(
                instanceID: id, numBlocks: 1, rank: nil, numWorkers: 1, cpuPageSize: 64),
            SharedOffloadRegion(
                instanceID: id, numBlocks: 1, rank: 0, numWorkers: 1, cpuPageSize: 64, timeout: 5),
            SharedOffloadRegion(
                instanceID: id, numBlocks: 1, rank: 0, numWorkers: 1, cpuPageSize: 64, timeout: 0.5),
            SharedOffloadRegion(
                instanceID: id, numBlocks: 1, rank: 0, numWorkers: 1, cpuPageSize: 64,
                timeout: seconds),
            SharedOffloadRegion(
                instanceID: id, numBlocks: 1, rank: 0, numWorkers: 1, cpuPageSize: 64,
                timeout: .seconds(5)),
            SharedOffloadRegion(
                instanceID: id, numBlocks: 1, rank: 0, numWorkers: 1, cpuPageSize: 64,
                layout: .pageAligned, directory: "/dev/shm", timeout: duration),
        ]
        #expect(regions.map(\.isCreator) == [true, false, false, false, false, false])
        for region in regions.reversed() { region.cleanup() }
        #expect(!FileManager.default.fileExists(atPath: regions[0].path))
    }
}
