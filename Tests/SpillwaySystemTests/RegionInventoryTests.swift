// Listing and cleaning a region directory from /proc: live regions stay, stale ones go.
import Foundation
import Glibc
import SpillwayTesting
import Testing

@testable import SpillwaySystem

@Suite("Region inventory (/proc scan, list, clean)")
struct RegionInventoryTests {
    /// Setup: one region mapped by this process, one stale region file with its sidecar, an
    /// orphaned sidecar, a symlink named like a region. Checks: list reports this pid for the
    /// live one and none for the stale one; a dry run removes nothing; clean removes the
    /// stale file and both sidecars, keeps the live region and the symlink.
    @Test func listAndClean() throws {
        let dir = ScratchDirectory()
        let liveID = dir.instanceID("live")
        let live = try SharedOffloadRegion(
            instanceID: liveID, numBlocks: 2, rank: nil, numWorkers: 1, cpuPageSize: 4096,
            directory: dir.path)
        dir.makeFile("vllm_offload_stale.mmap", size: 8192)
        dir.makeFile("vllm_offload_stale.mmap.meta", size: 10)
        dir.makeFile("vllm_offload_gone.mmap.meta", size: 10)
        #expect(symlink("/etc/passwd", dir.path + "/vllm_offload_link.mmap") == 0)

        let listing = try RegionInventory.list(directory: dir.path)
        #expect(listing.map(\.instanceID) == ["link", liveID, "stale"].sorted())
        let liveEntry = try #require(listing.first { $0.instanceID == liveID })
        #expect(liveEntry.isLive && liveEntry.mappingPIDs.contains(getpid()))
        #expect(liveEntry.metadata?.numBlocks == 2 && liveEntry.sizeBytes == 8192)
        let staleEntry = try #require(listing.first { $0.instanceID == "stale" })
        #expect(!staleEntry.isLive && staleEntry.mappingPIDs.isEmpty && staleEntry.metadata == nil)
        #expect(listing.first { $0.instanceID == "link" }?.problem != nil)

        let before = dir.fileNames
        let dry = try RegionInventory.clean(directory: dir.path, dryRun: true)
        #expect(
            Set(dry.removed)
                == Set(
                    ["stale.mmap", "stale.mmap.meta", "gone.mmap.meta"].map {
                        dir.path + "/vllm_offload_" + $0
                    }))
        #expect(dir.fileNames == before, "a dry run removes nothing")

        let report = try RegionInventory.clean(directory: dir.path, dryRun: false)
        #expect(report.removed.count == 3 && report.freedBytes == 8192)
        #expect(
            dir.fileNames
                == [
                    InstanceID.fileName(for: liveID), InstanceID.fileName(for: liveID) + ".meta",
                    "vllm_offload_link.mmap",
                ].sorted())
        #expect(try FileStatus.ofLink(atPath: "/etc/passwd") != nil)
        live.cleanup()
    }

    /// The race of `region clean` with a creator: the process scan is taken, then a region
    /// is created and mapped, then the directory is listed. The region must survive.
    @Test func cleanKeepsARegionCreatedAfterTheScan() throws {
        let dir = ScratchDirectory()
        let earlyScan = ProcessFileUsage.scan()
        let id = dir.instanceID("new")
        let region = try SharedOffloadRegion(
            instanceID: id, numBlocks: 2, rank: nil, numWorkers: 1, cpuPageSize: 4096,
            directory: dir.path)
        defer { region.cleanup() }
        let report = try RegionInventory.clean(directory: dir.path, dryRun: false, usage: earlyScan)
        #expect(!report.removed.contains(region.path), "clean removed a live region: \(report)")
        #expect(region.pathNamesMappedFile(), "the live region's file was unlinked")
    }

    /// /proc/<pid>/maps device numbers (major:minor hex) map to st_dev like glibc's makedev:
    /// checked on the test executable, which this process maps from a real block device
    /// (major != 0), and on encodings with bits above the classic 8/8 split.
    @Test func deviceEncoding() throws {
        #expect(ProcessFileUsage.makeDevice(major: 0, minor: 0x1a) == 0x1a)
        #expect(ProcessFileUsage.makeDevice(major: 0xfd, minor: 0x01) == 0xfd01)
        #expect(ProcessFileUsage.makeDevice(major: 0x103, minor: 0x105) == 0x11_0305)
        let exe = try #require(try FileStatus.of(path: "/proc/self/exe"))
        #expect(ProcessFileUsage.scan().mappers(of: exe).contains(getpid()), "device \(exe.device)")
    }
}
