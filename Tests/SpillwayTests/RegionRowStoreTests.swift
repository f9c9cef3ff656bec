// The production row store: a region's rows lent through `withRow`, with the mapping held
// so `cleanup()` cannot unmap rows a store still lends.
import Foundation
import Spillway
import SpillwaySystem
import SpillwayCore
import Testing

@Suite struct RegionRowStoreTests {
    /// Whether `/proc/self/maps` has a mapping containing `address`.
    static func isMapped(_ address: UnsafeMutableRawPointer) throws -> Bool {
        // Read to EOF: procfs files report a size of 0.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/maps"))
        defer { try? handle.close() }
        let maps = String(decoding: try #require(try handle.readToEnd()), as: UTF8.self)
        let target = UInt(bitPattern: address)
        return maps.split(separator: "\n").contains { line in
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16)
            else { return false }
            return start <= target && target < end
        }
    }

    /// Setup: a 4-row region and a RegionRowStore over it; `cleanup()` while the store
    /// lives. Checks: rows read back what was written through the store; after cleanup the
    /// region reports unmapped but the memory stays mapped (the store still writes and reads
    /// row 3); releasing the store unmaps it (gone from /proc/self/maps).
    @Test func cleanupWaitsForTheStoreBeforeUnmapping() throws {
        let options = DataModeOptions(
            primaryBlocks: 4, diskBlocks: 0, policy: .spill, blockBytes: 4096, queueDepth: 8)
        let region = try DataModeReplay.makeRegion(options)
        let base = region.baseAddress
        var rows: RegionRowStore? = RegionRowStore(region: region)
        #expect(rows!.rowCount == 4 && rows!.rowStride == region.rowStride)
        #expect(try Self.isMapped(base))
        rows!.withRow(1) { $0.initializeMemory(as: UInt8.self, repeating: 0x5A) }
        #expect(rows!.withRow(1) { $0.allSatisfy { $0 == 0x5A } })
        region.cleanup()
        #expect(!region.isMapped)
        #expect(try Self.isMapped(base), "unmapped while a row store holds the mapping")
        rows!.withRow(3) { $0.initializeMemory(as: UInt8.self, repeating: 0xC3) }
        #expect(rows!.withRow(3) { $0.allSatisfy { $0 == 0xC3 } })
        rows = nil
        #expect(try !Self.isMapped(base), "the last row store's release must unmap")
    }
}
