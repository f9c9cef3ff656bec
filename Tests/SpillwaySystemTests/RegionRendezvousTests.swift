// The rendezvous: unlink once every rank and the manager mapped; only the inode we mapped.
import Foundation
import Glibc
import SpillwayTesting
import Testing

@testable import SpillwaySystem

@Suite("Region rendezvous")
struct RegionRendezvousTests {
    func open(_ dir: ScratchDirectory, _ id: String, rank: Int?) throws -> SharedOffloadRegion {
        try SharedOffloadRegion(
            instanceID: id, numBlocks: 3, rank: rank, numWorkers: 3, cpuPageSize: 4096,
            directory: dir.path)
    }

    /// Setup: manager and ranks 0..2 map the region and arrive, one arriving twice. Checks:
    /// the counts, that only the last distinct arrival completes, that file and sidecar are
    /// gone right after, and that the mappings still share bytes.
    @Test func unlinksWhenAllArrived() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let manager = try open(dir, id, rank: nil)
        let workers = try (0..<3).map { try open(dir, id, rank: $0) }
        #expect(try workers[0].arriveAtRendezvous() == .waiting(arrived: 1, expected: 4))
        #expect(
            try workers[0].arriveAtRendezvous() == .waiting(arrived: 1, expected: 4),
            "a repeat counts once")
        #expect(try manager.arriveAtRendezvous() == .waiting(arrived: 2, expected: 4))
        #expect(try workers[2].arriveAtRendezvous() == .waiting(arrived: 3, expected: 4))
        let meta = try RegionMetadata.read(path: manager.sidecarPath)
        #expect(meta?.rendezvousArrivals == ["manager", "rank0", "rank2"])
        #expect(dir.fileNames.count == 2)
        #expect(try workers[1].arriveAtRendezvous() == .completed)
        #expect(dir.fileNames.isEmpty, "file and sidecar must be unlinked: \(dir.fileNames)")
        #expect(try workers[0].arriveAtRendezvous() == .alreadyUnlinked)
        #expect(dir.fileNames.isEmpty, "a late arrival must not recreate the sidecar")

        let view = try workers[2].createNextView(tensorPageSize: 4096)
        view[1].initializeMemory(as: UInt8.self, repeating: 0x5A)
        #expect(
            manager.createKVMemoryView()[1][2 * 4096 + 17] == 0x5A, "mappings outlive the unlink")
        for worker in workers { worker.cleanup() }
        manager.cleanup()
        #expect(dir.fileNames.isEmpty)
    }

    /// Setup: after some arrivals, the region path is made to name a different file (as if
    /// an operator cleaned it and a new engine created one). Checks: the completing arrival
    /// reports alreadyUnlinked and the new file survives.
    @Test func neverUnlinksAReplacement() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let manager = try open(dir, id, rank: nil)
        let workers = try (0..<3).map { try open(dir, id, rank: $0) }
        for worker in workers { _ = try worker.arriveAtRendezvous() }
        let path = dir.regionPath(id)
        #expect(unlink(path) == 0)
        dir.makeFile(InstanceID.fileName(for: id), size: 3 * 3 * 4096)
        #expect(try manager.arriveAtRendezvous() == .alreadyUnlinked)
        #expect(
            try FileStatus.ofLink(atPath: path)?.size == 3 * 3 * 4096,
            "the replacement must survive")
    }

    /// A region created without a sidecar (as vLLM creates it) still supports the rendezvous:
    /// the first arrival writes one.
    @Test func worksWithoutSidecarFromCreator() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let manager = try open(dir, id, rank: nil)
        #expect(unlink(manager.sidecarPath) == 0)
        let workers = try (0..<3).map { try open(dir, id, rank: $0) }
        for worker in workers { #expect(try worker.arriveAtRendezvous() != .completed) }
        #expect(try manager.arriveAtRendezvous() == .completed)
        #expect(dir.fileNames.isEmpty)
    }
}
