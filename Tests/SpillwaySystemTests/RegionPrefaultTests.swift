// The pre-fault fallback (for kernels without MADV_POPULATE_WRITE) never changes a byte.
import Foundation
import Glibc
import SpillwayTesting
import Testing

@testable import SpillwaySystem

@Suite("Region pre-fault fallback")
struct RegionPrefaultTests {
    /// Setup: a creator fills every byte with a pattern; then a manager and a ranked opener
    /// join with the touch fallback forced. Checks: the raw file is unchanged.
    @Test func fallbackTouchKeepsBytes() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let creator = try SharedOffloadRegion(
            instanceID: id, numBlocks: 6, rank: nil, numWorkers: 3, cpuPageSize: 5000,
            layout: .pageAligned,
            directory: dir.path)
        creator.withUnsafeMutableBytes { RegionFillPattern.fill($0, key: 42) }
        let before = rawBytes(creator.path)
        for rank in [nil, 1] as [Int?] {
            let joiner = try SharedOffloadRegion(
                instanceID: id, numBlocks: 6, rank: rank, numWorkers: 3, cpuPageSize: 5000,
                layout: .pageAligned, directory: dir.path, timeout: .seconds(30),
                prefault: .touchFallback)
            joiner.cleanup()
        }
        #expect(rawBytes(creator.path) == before)
    }

    /// Setup: a writer thread keeps storing increasing values into the first byte of every
    /// page while the fallback touches the same bytes. Checks: after the writer stops, each
    /// byte holds the writer's last value (a read-then-write touch would sometimes put an
    /// older value back).
    @Test func fallbackTouchLosesNoConcurrentStore() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let pages = 256
        let region = try SharedOffloadRegion(
            instanceID: id, numBlocks: pages, rank: nil, numWorkers: 1, cpuPageSize: 4096,
            directory: dir.path)
        let base = UInt(bitPattern: region.baseAddress)
        let done = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        done.initialize(to: 0)
        defer { done.deallocate() }
        let doneAddress = UInt(bitPattern: done)
        let writer = Thread {
            let done = UnsafeMutablePointer<Int>(bitPattern: doneAddress)!
            let bytes = UnsafeMutablePointer<UInt8>(bitPattern: base)!
            var value: UInt8 = 1
            for _ in 0..<3000 {
                for page in 0..<pages { bytes[page * 4096] = value }
                value = value == 255 ? 1 : value + 1
            }
            for page in 0..<pages { bytes[page * 4096] = 0xAB }
            done.pointee = 1
        }
        writer.start()
        var rounds = 0
        while done.pointee == 0 || rounds == 0 {
            RegionPrefault.touch(
                base: region.baseAddress, start: 0, end: pages * 4096, pageSize: 4096)
            rounds += 1
        }
        let bytes = region.baseAddress.assumingMemoryBound(to: UInt8.self)
        for page in 0..<pages where bytes[page * 4096] != 0xAB {
            Issue.record(
                "page \(page): touch overwrote the writer's last store (\(bytes[page * 4096]))")
            break
        }
        region.cleanup()
    }
}
