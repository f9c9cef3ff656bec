// The creation protocol's refusals and cleanup semantics (docs/REGION.md), one process.
import Foundation
import Glibc
import SpillwayTesting
import Testing

@testable import SpillwaySystem

@Suite("Region creation protocol")
struct RegionCreationTests {
    func open(
        _ dir: ScratchDirectory, _ id: String, rank: Int? = nil, blocks: Int = 4, workers: Int = 2,
        page: Int = 4096, layout: SharedOffloadRegion.Layout = .seed,
        timeout: Duration = .seconds(30)
    ) throws -> SharedOffloadRegion {
        try SharedOffloadRegion(
            instanceID: id, numBlocks: blocks, rank: rank, numWorkers: workers, cpuPageSize: page,
            layout: layout, directory: dir.path, timeout: timeout)
    }

    /// Creator and joiner of one file: the joiner's cleanup keeps the file, the creator's
    /// removes file and sidecar, a second cleanup changes nothing; the file and sidecar are
    /// 0600; a dropped creator cleans up in deinit.
    @Test func cleanupSemantics() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let creator = try open(dir, id)
        let joiner = try open(dir, id, rank: 1)
        #expect(creator.isCreator && !joiner.isCreator)
        let path = dir.regionPath(id)
        #expect(try FileStatus.ofLink(atPath: path)?.permissions == 0o600)
        #expect(try FileStatus.ofLink(atPath: path + ".meta")?.permissions == 0o600)
        #expect(dir.fileNames.count == 2)
        joiner.cleanup()
        #expect(dir.fileNames.count == 2, "a joiner must not unlink")
        joiner.cleanup()
        #expect(!joiner.isMapped)
        creator.cleanup()
        #expect(dir.fileNames.isEmpty, "the creator unlinks region and sidecar: \(dir.fileNames)")
        creator.cleanup()
        #expect(dir.fileNames.isEmpty)

        do {
            let dropped = try open(dir, dir.instanceID())
            #expect(dropped.isCreator && dir.fileNames.count == 2)
        }
        #expect(dir.fileNames.isEmpty, "deinit must clean up: \(dir.fileNames)")
    }

    /// The creator's cleanup must not unlink a newer file that took the path (e.g. after an
    /// operator removed ours and another engine started).
    @Test func creatorCleanupSparesAReplacedFile() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let creator = try open(dir, id)
        let path = dir.regionPath(id)
        #expect(unlink(path) == 0)
        dir.makeFile(InstanceID.fileName(for: id), size: 123)
        creator.cleanup()
        #expect(try FileStatus.ofLink(atPath: path)?.size == 123, "the replacement must survive")
    }

    /// A file stuck at size 0 (creator died before ftruncate): the joiner polls, gives up
    /// after its timeout with a message saying how to remove the file, and keeps no descriptor.
    @Test func joinerTimesOut() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        dir.makeFile(InstanceID.fileName(for: id), size: 0)
        let start = ContinuousClock.now
        do {
            _ = try open(dir, id, rank: 0, timeout: .milliseconds(60))
            Issue.record("joining a never-sized file must time out")
        } catch let error as SharedOffloadRegionError {
            guard case .joinTimeout(let path, let expected, let observed, _) = error else {
                Issue.record("expected joinTimeout, got \(error)")
                return
            }
            #expect(path == dir.regionPath(id) && expected == 4 * 2 * 4096 && observed == 0)
            #expect(error.description.contains("spillway region clean"))
        }
        #expect(ContinuousClock.now - start >= .milliseconds(60), "must wait the whole timeout")
        #expect(!processHoldsDescriptor(on: dir.regionPath(id)), "descriptor must be closed")
        #expect(dir.fileNames == [InstanceID.fileName(for: id)], "a joiner never removes the file")
    }

    /// A joiner waiting for the size succeeds once another party sizes the file, before its
    /// timeout (the 5 ms poll, not a single check).
    @Test func joinerWaitsForTheSize() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let name = InstanceID.fileName(for: id)
        dir.makeFile(name, size: 0)
        let path = dir.regionPath(id)
        // A plain thread, not a Task: the joiner below blocks its thread while it polls, and
        // with two cores the cooperative pool may have no other thread free to run a Task.
        // If the truncate failed the joiner would time out and throw, failing the test.
        let sizer = Thread {
            usleep(50_000)
            _ = truncate(path, off_t(4 * 2 * 4096))
        }
        sizer.start()
        let joiner = try open(dir, id, rank: 0, timeout: .seconds(30))
        #expect(!joiner.isCreator && joiner.byteCount == 4 * 2 * 4096)
        joiner.cleanup()
    }

    /// A creator that fails unlinks its size-0 file; a joiner that had already opened it must
    /// notice (the inode has no name any more: it can never be sized) and fail at once with
    /// `creator-failed`, as vLLM 0.33's joiners do, instead of waiting out its timeout.
    @Test func joinerFailsAtOnceWhenTheCreatorUnlinks() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        dir.makeFile(InstanceID.fileName(for: id), size: 0)
        let path = dir.regionPath(id)
        let unlinker = Thread {
            usleep(50_000)
            _ = unlink(path)
        }
        unlinker.start()
        let started = ContinuousClock.now
        #expect(throws: SharedOffloadRegionError.creatorFailed(path: path)) {
            try open(dir, id, rank: 0, timeout: .seconds(10))
        }
        #expect(ContinuousClock.now - started < .seconds(5), "the joiner waited on an orphan")
        #expect(dir.fileNames.isEmpty)
    }

    /// Stale files of the wrong size, smaller and larger, are refused at once with a message
    /// naming both sizes and how to remove the file; nothing is deleted.
    @Test(arguments: [100, 4 * 2 * 4096 - 1, 4 * 2 * 4096 + 4096])
    func staleFileOfWrongSize(size: Int) throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        dir.makeFile(InstanceID.fileName(for: id), size: size)
        let path = dir.regionPath(id)
        #expect(
            throws: SharedOffloadRegionError.sizeMismatch(
                path: path, expectedBytes: 32768, actualBytes: size)
        ) {
            try open(dir, id, rank: 0, timeout: .milliseconds(10))
        }
        let message = SharedOffloadRegionError.sizeMismatch(
            path: path, expectedBytes: 32768, actualBytes: size
        ).description
        #expect(
            message.contains("rm \(path)") && message.contains("\(size)")
                && message.contains("32768"))
        #expect(try FileStatus.ofLink(atPath: path)?.size == size)
        #expect(!processHoldsDescriptor(on: path))
    }

    /// A joiner whose geometry differs from the sidecar's, at the same file size, gets a
    /// geometry error naming both geometries.
    @Test func geometryMismatchThroughSidecar() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let creator = try open(dir, id, blocks: 4, workers: 2, page: 2048)
        do {
            _ = try open(dir, id, rank: 0, blocks: 4, workers: 4, page: 1024)
            Issue.record("a different geometry must be refused")
        } catch let error as SharedOffloadRegionError {
            guard case .geometryMismatch(_, let expected, let found) = error else {
                Issue.record("expected geometryMismatch, got \(error)")
                return
            }
            #expect(expected.contains("M=4 P=1024") && found.contains("M=2 P=2048"))
        }
        creator.cleanup()
    }

    /// A symlink at the region path, to an existing file or dangling, is refused and never
    /// followed: the target is neither created nor changed.
    @Test(arguments: [false, true])
    func symlinkAtPath(dangling: Bool) throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let target = dir.path + "/target"
        if !dangling { dir.makeFile("target", size: 32768) }
        #expect(symlink(target, dir.regionPath(id)) == 0)
        #expect(throws: SharedOffloadRegionError.symlinkAtPath(path: dir.regionPath(id))) {
            try open(dir, id, rank: 0)
        }
        #expect(throws: SharedOffloadRegionError.symlinkAtPath(path: dir.regionPath(id))) {
            try open(dir, id, rank: nil)
        }
        if dangling {
            #expect(try FileStatus.ofLink(atPath: target) == nil, "the target must not be created")
        } else {
            #expect(rawBytes(target).allSatisfy { $0 == 0 })
        }
    }

    /// A directory or FIFO at the region path is refused as not a regular file (opening the
    /// FIFO must not hang).
    @Test(arguments: ["directory", "FIFO"])
    func notARegularFile(kind: String) throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        let path = dir.regionPath(id)
        if kind == "directory" {
            #expect(mkdir(path, 0o700) == 0)
        } else {
            #expect(mkfifo(path, 0o600) == 0)
        }
        #expect(throws: SharedOffloadRegionError.notRegularFile(path: path, kind: kind)) {
            try open(dir, id, rank: 0)
        }
    }

    /// A region file of the right size owned by another uid is refused (checked with fstat
    /// on the opened descriptor). Root can open anyone's file, so only the check protects it.
    @Test(.enabled(if: geteuid() == 0, "needs root to chown a file to another uid"))
    func foreignOwner() throws {
        let dir = ScratchDirectory()
        let id = dir.instanceID()
        dir.makeFile(InstanceID.fileName(for: id), size: 32768)
        #expect(chown(dir.regionPath(id), 65534, 65534) == 0)
        #expect(
            throws: SharedOffloadRegionError.foreignOwner(
                path: dir.regionPath(id), ownerUID: 65534, ourUID: 0)
        ) {
            try open(dir, id, rank: 0)
        }
        #expect(!processHoldsDescriptor(on: dir.regionPath(id)))
    }

    /// Instance ids that could escape the directory or break the name are refused before
    /// anything touches the file system.
    @Test(arguments: ["../x", "a/b", "", "a\0b", "..", "x..y", String(repeating: "x", count: 201)])
    func invalidInstanceIDs(id: String) throws {
        let dir = ScratchDirectory()
        #expect(throws: SharedOffloadRegionError.self) { try open(dir, id) }
        do { _ = try open(dir, id) } catch let error as SharedOffloadRegionError {
            #expect(error.code == "invalid-instance-id", "\(error)")
        }
        #expect(dir.fileNames.isEmpty)
        #expect(try FileStatus.ofLink(atPath: "/dev/shm/x") == nil || id != "../x")
    }

    /// Longest accepted id works; ranks outside 0..<M and zero counts are refused.
    @Test func boundaries() throws {
        let dir = ScratchDirectory()
        let region = try open(dir, String(repeating: "y", count: 200))
        region.cleanup()
        #expect(throws: SharedOffloadRegionError.self) {
            try open(dir, dir.instanceID(), rank: 2, workers: 2)
        }
        #expect(throws: SharedOffloadRegionError.self) { try open(dir, dir.instanceID(), rank: -1) }
        #expect(throws: SharedOffloadRegionError.self) {
            try open(dir, dir.instanceID(), blocks: 0)
        }
        #expect(dir.fileNames.isEmpty)
    }

    /// A region larger than the free space of the file system: the creator fails with both
    /// numbers in the message and leaves no file (it unlinks before rethrowing).
    @Test func notEnoughFreeSpace() throws {
        let dir = ScratchDirectory()
        let free = try RegionSyscalls.freeBytes(directory: dir.path)
        let blocks = free / 4096 + 1024
        let id = dir.instanceID()
        do {
            _ = try open(dir, id, blocks: blocks, workers: 1, page: 4096)
            Issue.record("a region above the free space must be refused")
        } catch let error as SharedOffloadRegionError {
            guard case .insufficientSpace(_, let required, let reportedFree) = error else {
                Issue.record("expected insufficientSpace, got \(error)")
                return
            }
            #expect(required == blocks * 4096 && reportedFree < required)
            #expect(
                error.description.contains("\(required) bytes")
                    && error.description.contains("\(reportedFree) bytes"))
        }
        #expect(dir.fileNames.isEmpty, "the creator must unlink after failing: \(dir.fileNames)")
        #expect(!processHoldsDescriptor(on: dir.regionPath(id)))
    }

    /// Using the manager for createNextView is an error, not a crash.
    @Test func managerHasNoSlot() throws {
        let dir = ScratchDirectory()
        let manager = try open(dir, dir.instanceID())
        #expect(throws: SharedOffloadRegionError.notRanked) {
            try manager.createNextView(tensorPageSize: 16)
        }
    }
}
