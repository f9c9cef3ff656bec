// The pre-fault fallback (for kernels without MADV_POPULATE_WRITE) never changes a byte.
import Foundation
import Glibc
import SpillwayTesting
import Synchronization
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

    /// Flags shared by the writer thread and the touching thread.
    final class RaceFlags: Sendable {
        /// 1 while a touch round runs.
        let touching = Atomic<Int>(0)
        /// Writer stores made while a touch round ran.
        let concurrentStores = Atomic<Int>(0)
        /// 1 once the writer made its last store.
        let done = Atomic<Int>(0)
    }

    /// Setup: a writer thread waits until the first touch round has begun, then keeps storing
    /// increasing values into the first byte of every page while the fallback touches the
    /// same bytes round after round. Checks: the race happened (the writer made stores while
    /// a touch round ran), and after the writer stops each byte holds the writer's last value
    /// (a read-then-write touch would sometimes put an older value back).
    @Test func fallbackTouchLosesNoConcurrentStore() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let pages = 256
        let region = try SharedOffloadRegion(
            instanceID: id, numBlocks: pages, rank: nil, numWorkers: 1, cpuPageSize: 4096,
            directory: dir.path)
        let base = UInt(bitPattern: region.baseAddress)
        let flags = RaceFlags()
        let writer = Thread {
            let bytes = UnsafeMutablePointer<UInt8>(bitPattern: base)!
            while flags.touching.load(ordering: .acquiring) == 0 {}
            var value: UInt8 = 1
            for _ in 0..<3000 {
                for page in 0..<pages {
                    bytes[page * 4096] = value
                    if flags.touching.load(ordering: .relaxed) == 1 {
                        flags.concurrentStores.add(1, ordering: .relaxed)
                    }
                }
                value = value == 255 ? 1 : value + 1
            }
            for page in 0..<pages { bytes[page * 4096] = 0xAB }
            flags.done.store(1, ordering: .releasing)
        }
        writer.start()
        while flags.done.load(ordering: .acquiring) == 0 {
            flags.touching.store(1, ordering: .releasing)
            RegionPrefault.touch(
                base: region.baseAddress, start: 0, end: pages * 4096, pageSize: 4096)
            flags.touching.store(0, ordering: .releasing)
        }
        let concurrent = flags.concurrentStores.load(ordering: .relaxed)
        #expect(concurrent > 0, "no writer store happened during a touch round: no race")
        let bytes = region.baseAddress.assumingMemoryBound(to: UInt8.self)
        for page in 0..<pages where bytes[page * 4096] != 0xAB {
            Issue.record(
                "page \(page): touch overwrote the writer's last store (\(bytes[page * 4096]))")
            break
        }
        region.cleanup()
    }
}
