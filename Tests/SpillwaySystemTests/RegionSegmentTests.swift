// vLLM 0.33's region features without vLLM: segment files (plan, real 2 GiB sparse region,
// bytes per file), barrier and cleanup semantics, creator memory check, populate shards and
// canonical views.
import Foundation
import Glibc
import SpillwayTesting
import Testing

@testable import SpillwaySystem

@Suite("Region segments, barrier, canonical views (vLLM 0.33)")
struct RegionSegmentTests {
    /// 2048 rows of 1 MiB: 2 GiB, two 1 GiB files with numSegments 32. M = 2 slots of
    /// 512 KiB; openers pre-fault a 2 MiB shard only, so the region stays sparse.
    static let rows = 2048
    static let slot = 512 * 1024

    func openLarge(
        _ dir: ScratchDirectory, _ id: String, rank: Int?, shard: Int,
        barrier: (() throws -> Void)? = nil
    ) throws -> SharedOffloadRegion {
        try SharedOffloadRegion(
            instanceID: id, numBlocks: Self.rows, rank: rank, numWorkers: 2,
            cpuPageSize: Self.slot, directory: dir.path, numSegments: 32,
            populateShard: try .init(index: shard, count: 1024), barrier: barrier)
    }

    /// vLLM's rule: n = min(requested, size / 1 GiB) (at least 1), runs of ceil(B / n) rows,
    /// one file per run, so fewer files than n when the runs do not divide evenly.
    @Test func plan() throws {
        func files(_ blocks: Int, stride: Int, _ requested: Int) throws -> [RegionSegment] {
            let geometry = try RegionGeometry(
                numBlocks: blocks, numWorkers: 1, cpuPageSize: stride, layout: .pageAligned,
                pageSize: 4096)
            return RegionSegment.plan(regionPath: "/r", geometry: geometry, requested: requested)
        }
        let gib = 1 << 30
        #expect(try files(2048, stride: 1 << 20, 32).map(\.path) == ["/r", "/r.1"])
        #expect(try files(2048, stride: 1 << 20, 32).map(\.offset) == [0, gib])
        #expect(try files(2047, stride: 1 << 20, 32).count == 1, "below 2 GiB: one file")
        #expect(try files(2048, stride: 1 << 20, 1).count == 1)
        let uneven = try files(5, stride: gib, 4)
        #expect(
            uneven.map(\.rowCount) == [2, 2, 1] && uneven.map(\.length) == [2 * gib, 2 * gib, gib])
        #expect(try files(10, stride: gib, 32).count == 10)
        #expect(try files(3, stride: gib, 32).map(\.firstRow) == [0, 1, 2])
    }

    /// Segment file names: `<region name>.<i>` with i >= 1 in plain decimal; anything else
    /// (the region itself, its sidecar, `.0`, leading zeros, signs) is not a segment.
    @Test func segmentFileNames() {
        #expect(InstanceID.parseSegment(fileName: "vllm_offload_e.mmap.1")! == ("e", 1))
        #expect(InstanceID.parseSegment(fileName: "vllm_offload_a.mmap.mmap.31")! == ("a.mmap", 31))
        for name in [
            "vllm_offload_e.mmap", "vllm_offload_e.mmap.meta", "vllm_offload_e.mmap.0",
            "vllm_offload_e.mmap.01", "vllm_offload_e.mmap.+1", "vllm_offload_e.mmap.",
            "other_e.mmap.1", "vllm_offload_.mmap.1",
        ] {
            #expect(InstanceID.parseSegment(fileName: name) == nil, "\(name)")
        }
        #expect(RegionSegment.path(index: 0, regionPath: "/d/r") == "/d/r")
        #expect(RegionSegment.path(index: 7, regionPath: "/d/r") == "/d/r.7")
    }

    /// A 2 GiB region over two files: a creator and a joiner (rank 1) write rows on both
    /// sides of the file boundary through their views; each reads the other's bytes through
    /// its mapping, and the files hold each row at `(row - firstRow) * S` of the right file.
    /// The creator's cleanup removes both files and the sidecar.
    @Test func segmentedRegionBytesPerFile() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID("seg")
        let creator = try openLarge(dir, id, rank: 0, shard: 0)
        let joiner = try openLarge(dir, id, rank: 1, shard: 1)
        #expect(creator.isCreator && !joiner.isCreator)
        #expect(creator.segments.count == 2 && creator.byteCount == 2 << 30)
        let path = dir.regionPath(id)
        let name = InstanceID.fileName(for: id)
        #expect(Set(dir.fileNames) == [name, name + ".1", name + ".meta"])
        let touched = [0, 1023, 1024, 2047]
        let mine = try creator.createNextView(tensorPageSize: Self.slot)
        let theirs = try joiner.createNextView(tensorPageSize: Self.slot)
        for row in touched {
            RegionFillPattern.fill(
                mine[row], key: RegionFillPattern.key(seed: 9, rank: 0, tensor: 0, block: row))
            RegionFillPattern.fill(
                theirs[row], key: RegionFillPattern.key(seed: 9, rank: 1, tensor: 0, block: row))
        }
        let rowsSeenByCreator = creator.createKVMemoryView()
        for row in touched {
            for rank in 0..<2 {
                let key = RegionFillPattern.key(seed: 9, rank: rank, tensor: 0, block: row)
                let slot = UnsafeRawBufferPointer(
                    rebasing: rowsSeenByCreator[row][(rank * Self.slot)..<((rank + 1) * Self.slot)])
                #expect(
                    RegionFillPattern.firstMismatch(slot, key: key) == nil,
                    "row \(row) rank \(rank)")
                // The same bytes straight from the backing file.
                let segment = try #require(
                    creator.segments.first { row >= $0.firstRow && row < $0.firstRow + $0.rowCount }
                )
                var fromFile = [UInt8](repeating: 0, count: Self.slot)
                let fd = Glibc.open(segment.path, O_RDONLY)
                defer { Glibc.close(fd) }
                let offset = (row - segment.firstRow) * creator.rowStride + rank * Self.slot
                #expect(pread(fd, &fromFile, Self.slot, off_t(offset)) == Self.slot)
                #expect(
                    fromFile.withUnsafeBytes { RegionFillPattern.firstMismatch($0, key: key) }
                        == nil)
            }
        }
        // Sparse: far less than 2 GiB is allocated.
        var st = stat()
        #expect(stat(path + ".1", &st) == 0 && Int(st.st_blocks) * 512 < 64 << 20)
        joiner.cleanup()
        #expect(dir.fileNames.count == 3, "a joiner must not unlink")
        creator.cleanup()
        #expect(dir.fileNames.isEmpty, "the creator unlinks every segment: \(dir.fileNames)")
    }

    /// A joiner with another segment count than the creator's files is refused with a
    /// message that names the segment count, not told the live region is stale garbage;
    /// a leftover segment file stops a creator (`segment-exists`) and survives.
    @Test func segmentMismatchesAndLeftovers() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID("mix")
        let creator = try openLarge(dir, id, rank: 0, shard: 0)
        do {
            _ = try SharedOffloadRegion(
                instanceID: id, numBlocks: Self.rows, rank: 1, numWorkers: 2,
                cpuPageSize: Self.slot, directory: dir.path, timeout: 0.2,
                populateShard: try .init(index: 1, count: 1024))
            Issue.record("a one-file joiner joined a two-file region")
        } catch let error as SharedOffloadRegionError {
            #expect(error.code == "geometry-mismatch" && error.description.contains("segments=2"))
        }
        creator.cleanup()

        let other = dir.instanceID("left")
        dir.makeFile(InstanceID.fileName(for: other) + ".1", size: 77)
        #expect(throws: SharedOffloadRegionError.segmentExists(path: dir.regionPath(other) + ".1"))
        {
            _ = try openLarge(dir, other, rank: 0, shard: 0)
        }
        #expect(
            dir.fileNames == [InstanceID.fileName(for: other) + ".1"], "only the leftover stays")
        let listing = try RegionInventory.list(directory: dir.path)
        #expect(listing.count == 1 && listing[0].segmentIndex == 1 && listing[0].state == "stale")
        let report = try RegionInventory.clean(directory: dir.path, dryRun: false)
        #expect(report.removed == [dir.regionPath(other) + ".1"] && dir.fileNames.isEmpty)
    }

    /// `region list` folds segment files into their region (size = all files, mapped by the
    /// opener), and `clean` removes every file of a stale segmented region.
    @Test func inventoryFoldsSegments() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID("inv")
        let region = try openLarge(dir, id, rank: 0, shard: 0)
        let entry = try #require(try RegionInventory.list(directory: dir.path).first)
        #expect(entry.sizeBytes == 2 << 30 && entry.segments.map(\.index) == [1])
        #expect(entry.isLive && entry.segments[0].mappingPIDs.contains(getpid()))
        // Keep the files, drop the mapping: a stale two-file region.
        let path = region.path
        #expect(link(path, dir.path + "/keep0") == 0 && link(path + ".1", dir.path + "/keep1") == 0)
        region.cleanup()
        #expect(
            rename(dir.path + "/keep0", path) == 0 && rename(dir.path + "/keep1", path + ".1") == 0)
        let report = try RegionInventory.clean(directory: dir.path, dryRun: false)
        #expect(Set(report.removed) == [path, path + ".1"] && report.freedBytes == 2 << 30)
        #expect(dir.fileNames.isEmpty)
    }

    /// With a barrier the creator unlinks every file once it returns (mappings stay valid);
    /// a creator memory check that throws stops the creator before any file is sized, the
    /// barrier is still joined (peers are not left waiting) and the check's error comes out.
    @Test func barrierAndMemoryCheck() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID("bar")
        var calls = 0
        let region = try openLarge(dir, id, rank: 0, shard: 0) { calls += 1 }
        #expect(calls == 2, "populate shards: one barrier after mapping, one after pre-faulting")
        #expect(dir.fileNames.isEmpty, "the barrier unlinks: \(dir.fileNames)")
        region.withUnsafeMutableBytes(ofRow: 2047) { $0[0] = 5 }
        #expect(region.withUnsafeMutableBytes(ofRow: 2047) { $0[0] } == 5)
        region.cleanup()

        struct TooBig: Error, Equatable { let bytes: Int }
        var barrierCalls = 0
        var checked = 0
        #expect(throws: TooBig(bytes: 4 * 8192)) {
            _ = try SharedOffloadRegion(
                instanceID: dir.instanceID("mem"), numBlocks: 4, rank: 0, numWorkers: 2,
                cpuPageSize: 4096, directory: dir.path, barrier: { barrierCalls += 1 },
                creatorMemoryCheck: { bytes in
                    checked = bytes
                    throw TooBig(bytes: bytes)
                })
        }
        #expect(checked == 32768 && barrierCalls == 1 && dir.fileNames.isEmpty)
    }

    /// Shards split the region like vLLM: page-rounded ceil(size / count) bytes each, the
    /// last one clipped, shares past the end empty.
    @Test func populateShardRanges() throws {
        let shard = { (i: Int, n: Int) in try SharedOffloadRegion.PopulateShard(index: i, count: n)
        }
        #expect(try shard(0, 3).byteRange(regionSize: 40960, pageSize: 4096) == 0..<16384)
        #expect(try shard(2, 3).byteRange(regionSize: 40960, pageSize: 4096) == 32768..<40960)
        #expect(try shard(9, 10).byteRange(regionSize: 8192, pageSize: 4096) == nil)
        #expect(throws: SharedOffloadRegionError.self) { try shard(3, 3) }
    }

    /// Canonical views start at every row's beginning whatever the rank, are the same bytes
    /// for every worker, advance their own cursor up to the row stride, and work for the
    /// manager; worker views keep their slot cursor.
    @Test func canonicalViews() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID("can")
        let manager = try SharedOffloadRegion(
            instanceID: id, numBlocks: 3, rank: nil, numWorkers: 2, cpuPageSize: 3000,
            directory: dir.path)
        let worker = try SharedOffloadRegion(
            instanceID: id, numBlocks: 3, rank: 1, numWorkers: 2, cpuPageSize: 3000,
            directory: dir.path)
        #expect(manager.rowStride == 8192)
        let a = try worker.createNextCanonicalView(tensorPageSize: 5000)
        let b = try worker.createNextCanonicalView(tensorPageSize: 3192)
        #expect(a.offsetInRow == 0 && b.offsetInRow == 5000)
        #expect(
            throws: SharedOffloadRegionError.canonicalOverflow(requestedBytes: 1, remainingBytes: 0)
        ) {
            try worker.createNextCanonicalView(tensorPageSize: 1)
        }
        #expect(try worker.createNextView(tensorPageSize: 3000).offsetInRow == 3000)
        let shared = try manager.createNextCanonicalView(tensorPageSize: 5000)
        a[2].initializeMemory(as: UInt8.self, repeating: 0x5A)
        #expect(shared[2].allSatisfy { $0 == 0x5A } && shared[1].allSatisfy { $0 == 0 })
        worker.cleanup()
        manager.cleanup()
    }
}
