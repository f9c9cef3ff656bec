// Real-kernel tests of URingIO: the shared IOBackend contract on a disk file system (/tmp,
// O_DIRECT) and on tmpfs (/dev/shm, buffered fallback), plus what only the io_uring backend
// promises (direct-I/O probe, directory hygiene, permissions, ENOSPC).
import Foundation
import Glibc
import SpillwayCore
import SpillwaySystem
import SpillwayTesting
import Testing

/// Why io_uring tests cannot run here, or nil.
let uringUnavailable = IOURingSupport.unavailableReason()

func permissions(_ path: String) -> mode_t {
    var info = stat()
    precondition(lstat(path, &info) == 0, "stat \(path)")
    return info.st_mode & 0o777
}

@Suite(
    "URingIO",
    .enabled(
        if: uringUnavailable == nil,
        Comment(rawValue: "io_uring unavailable: \(uringUnavailable ?? "")")))
struct URingIOTests {
    // MARK: The shared contract

    @Test("contract on /tmp (O_DIRECT)", arguments: IOBackendContract.Check.allCases)
    func contractOnDisk(_ check: IOBackendContract.Check) throws {
        let scratch = ScratchDirectory(under: "/tmp")
        try IOBackendContract.run(check, directory: scratch.sub("tier")) {
            let backend = try URingIO(directory: $0, queueDepth: 16, directIO: .required)
            #expect(backend.requiredAlignment == 4096)
            return backend
        }
    }

    @Test("contract on /dev/shm (buffered fallback)", arguments: IOBackendContract.Check.allCases)
    func contractOnTmpfs(_ check: IOBackendContract.Check) throws {
        let scratch = ScratchDirectory(under: "/dev/shm")
        try IOBackendContract.run(check, directory: scratch.sub("tier")) {
            let backend = try URingIO(directory: $0, queueDepth: 8, directIO: .auto)
            #expect(backend.requiredAlignment == 1)
            return backend
        }
    }

    @Test("contract with queue depth 1 (every request waits for the previous)")
    func contractDepthOne() throws {
        let scratch = ScratchDirectory(under: "/tmp")
        try IOBackendContract.runAll(directory: scratch.sub("tier")) {
            try URingIO(directory: $0, queueDepth: 1)
        }
    }

    // MARK: Direct I/O probe

    @Test("O_DIRECT probe: true on /tmp (ext4/xfs), false on /dev/shm (tmpfs)")
    func directIOProbe() throws {
        let disk = ScratchDirectory(under: "/tmp")
        let tmpfs = ScratchDirectory(under: "/dev/shm")
        let onDisk = try URingIO(directory: disk.path)
        let onTmpfs = try URingIO(directory: tmpfs.path)
        #expect(onDisk.usesDirectIO)
        #expect(onDisk.requiredAlignment == 4096)
        #expect(!onTmpfs.usesDirectIO)
        #expect(onTmpfs.requiredAlignment == 1)
        // This kernel (>= 5.5) takes a sparse registered file table.
        #expect(onDisk.usesRegisteredFiles)
        // One backend per directory: a second is refused until the first lets go.
        #expect(throws: IOBackendError.self) { try URingIO(directory: disk.path, directIO: .off) }
        onDisk.releaseDirectory()
        let off = try URingIO(directory: disk.path, directIO: .off)
        #expect(!off.usesDirectIO)
        // The probe leaves nothing behind.
        #expect(try onDisk.listFiles().isEmpty)
        #expect(try onTmpfs.listFiles().isEmpty)
    }

    @Test("direct I/O required on /dev/shm throws a clear error")
    func requiredOnTmpfsThrows() throws {
        let tmpfs = ScratchDirectory(under: "/dev/shm")
        do {
            _ = try URingIO(directory: tmpfs.path, directIO: .required)
            Issue.record("URingIO(.required) on tmpfs succeeded")
        } catch let error as IOBackendError {
            #expect(error.description.contains("direct I/O"))
            #expect(error.description.contains(tmpfs.path))
            #expect(error.errno == EINVAL)
        }
    }

    // MARK: Directory and file hygiene

    @Test("creates missing directories 0700 and files 0600")
    func permissionBits() throws {
        let scratch = ScratchDirectory(under: "/tmp")
        let directory = scratch.sub("a/b/tier")
        let backend = try URingIO(directory: directory)
        #expect(permissions(directory) == 0o700)
        #expect(permissions(scratch.sub("a")) == 0o700)
        let file = try backend.openFile("data", options: IOFileOptions(create: true))
        #expect(permissions(directory + "/data") == 0o600)
        backend.closeFile(file)
    }

    @Test("refuses a symlinked directory, a foreign-owned one, a group-writable one")
    func hostileDirectories() throws {
        let scratch = ScratchDirectory(under: "/tmp")
        let real = scratch.sub("real")
        _ = try URingIO(directory: real)
        let link = scratch.sub("link")
        #expect(symlink(real, link) == 0)
        #expect(throws: IOBackendError.self) { try URingIO(directory: link) }

        let writable = scratch.sub("writable")
        #expect(mkdir(writable, 0o700) == 0)
        #expect(chmod(writable, 0o777) == 0)
        #expect(throws: IOBackendError.self) { try URingIO(directory: writable) }

        let notDirectory = scratch.sub("plain-file")
        #expect(FileManager.default.createFile(atPath: notDirectory, contents: Data()))
        #expect(throws: IOBackendError.self) { try URingIO(directory: notDirectory) }

        // Only root can hand a directory to another user; skip that part otherwise.
        if geteuid() == 0 {
            let foreign = scratch.sub("foreign")
            #expect(mkdir(foreign, 0o700) == 0)
            #expect(chown(foreign, 65534, 65534) == 0)
            #expect(throws: IOBackendError.self) { try URingIO(directory: foreign) }
        }
    }

    @Test("refuses to open a symlink inside its directory")
    func symlinkedFileRefused() throws {
        let scratch = ScratchDirectory(under: "/tmp")
        let backend = try URingIO(directory: scratch.sub("tier"))
        #expect(symlink("/etc/passwd", scratch.sub("tier/evil")) == 0)
        #expect(throws: IOBackendError.self) {
            try backend.openFile("evil", options: IOFileOptions(create: true))
        }
        #expect(try backend.listFiles().isEmpty)
    }

    // MARK: Space and buffers

    @Test("reserve beyond the file system's size fails with ENOSPC as an IOBackendError")
    func reserveNoSpace() throws {
        let tmpfs = ScratchDirectory(under: "/dev/shm")
        let backend = try URingIO(directory: tmpfs.path)
        let file = try backend.openFile("huge", options: IOFileOptions(create: true))
        do {
            try backend.reserve(file, size: 1 << 50)
            Issue.record("reserving 1 PiB on /dev/shm succeeded")
        } catch let error as IOBackendError {
            #expect(error.errno == ENOSPC)
            #expect(error.description.contains("capacity"))
        }
        try backend.reserve(file, size: 1 << 20)
        #expect(try backend.fileSize(file) == 1 << 20)
        backend.closeFile(file)
    }

    @Test("registered buffers: accepted and used for fixed reads and writes (O_DIRECT)")
    func registeredBufferRoundTrip() throws {
        let scratch = ScratchDirectory(under: "/tmp")
        let backend = try URingIO(directory: scratch.path, queueDepth: 4)
        #expect(backend.supportsFixedBuffers)
        let pool = IOTestBuffer(byteCount: 64 << 10)
        #expect(backend.registerBuffers([pool.bytes]))
        let file = try backend.openFile("fixed", options: IOFileOptions(create: true))
        pool.fillPattern(seed: 11)
        let expected = IOTestBuffer(byteCount: 64 << 10)
        expected.fillPattern(seed: 11)
        let write = IORequest(
            kind: .write, file: file, offset: 8192, buffer: pool.pointer, length: 64 << 10,
            registeredBufferIndex: 0, userData: 1)
        let results = try IOBackendContract.execute(backend, [write], check: .registeredBuffers)
        #expect(results[1] == 64 << 10)
        pool.bytes.initializeMemory(as: UInt8.self, repeating: 0)
        let read = IORequest(
            kind: .read, file: file, offset: 8192, buffer: pool.pointer + 16384, length: 32 << 10,
            registeredBufferIndex: 0, userData: 2)
        let readResults = try IOBackendContract.execute(backend, [read], check: .registeredBuffers)
        #expect(readResults[2] == 32 << 10)
        #expect(pool.matches(expected, offset: 16384, otherOffset: 0, count: 32 << 10))
        #expect(pool.isZero(offset: 0, count: 16384))
        backend.closeFile(file)
    }

    @Test("rows of a shared /dev/shm mapping register as fixed buffers and move by O_DIRECT")
    func sharedMappingAsRegisteredBuffer() throws {
        // The primary tier is an mmap of a /dev/shm file; aligned rows may go to disk
        // straight from it. Registering shmem pages with io_uring must work for that.
        let shm = ScratchDirectory(under: "/dev/shm")
        let disk = ScratchDirectory(under: "/tmp")
        let regionBytes = 1 << 20
        let regionDescriptor = open(shm.sub("region"), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(regionDescriptor >= 0)
        defer { close(regionDescriptor) }
        #expect(ftruncate(regionDescriptor, off_t(regionBytes)) == 0)
        let mapped = mmap(nil, regionBytes, PROT_READ | PROT_WRITE, MAP_SHARED, regionDescriptor, 0)
        let region = try #require(mapped == MAP_FAILED ? nil : mapped)
        defer { munmap(region, regionBytes) }
        let pattern = IOTestBuffer(byteCount: regionBytes)
        pattern.fillPattern(seed: 0x5A)
        region.copyMemory(from: pattern.pointer, byteCount: regionBytes)

        let backend = try URingIO(directory: disk.path, queueDepth: 4, directIO: .required)
        #expect(
            backend.registerBuffers([
                UnsafeMutableRawBufferPointer(start: region, count: regionBytes)
            ]))
        let file = try backend.openFile("rows", options: IOFileOptions(create: true))
        // Write rows 1..<3 (256 KiB each) of the region, then read them back into rows 2..<4.
        let row = 256 << 10
        let write = IORequest(
            kind: .write, file: file, offset: 0, buffer: region + row, length: 2 * row,
            registeredBufferIndex: 0, userData: 1)
        #expect(
            try IOBackendContract.execute(backend, [write], check: .registeredBuffers)[1]
                == Int32(2 * row))
        let read = IORequest(
            kind: .read, file: file, offset: 0, buffer: region + 2 * row, length: 2 * row,
            registeredBufferIndex: 0, userData: 2)
        #expect(
            try IOBackendContract.execute(backend, [read], check: .registeredBuffers)[2]
                == Int32(2 * row))
        let landed = UnsafeRawBufferPointer(start: region + 2 * row, count: 2 * row)
        let expected = UnsafeRawBufferPointer(start: pattern.pointer + row, count: 2 * row)
        #expect(landed.elementsEqual(expected))
        #expect(backend.registerBuffers([]))
        backend.closeFile(file)
    }

    @Test("files inside and beyond the registered file table, and reused ids, all move bytes")
    func manyFiles() throws {
        let scratch = ScratchDirectory(under: "/tmp")
        let backend = try URingIO(directory: scratch.path, queueDepth: 8)
        let count = URingIO.registeredFileSlotCount + 6
        var files = try (0..<count).map {
            try backend.openFile("f\($0)", options: IOFileOptions(create: true))
        }
        // Close a few inside the table and reopen them: ids (and slots) are reused.
        for index in [3, 10] {
            backend.closeFile(files[index])
            files[index] = try backend.openFile("f\(index)", options: IOFileOptions())
        }
        let source = IOTestBuffer(byteCount: 4096 * count)
        source.fillPattern(seed: 0xF11E)
        let writes = (0..<count).map {
            IORequest(
                kind: .write, file: files[$0], offset: 4096, buffer: source.pointer + 4096 * $0,
                length: 4096, userData: UInt64($0))
        }
        let written = try IOBackendContract.execute(backend, writes, check: .roundTrip)
        #expect(written.values.allSatisfy { $0 == 4096 })
        let sink = IOTestBuffer(byteCount: 4096 * count)
        let reads = (0..<count).map {
            IORequest(
                kind: .read, file: files[$0], offset: 4096, buffer: sink.pointer + 4096 * $0,
                length: 4096, userData: UInt64($0))
        }
        let read = try IOBackendContract.execute(backend, reads, check: .roundTrip)
        #expect(read.values.allSatisfy { $0 == 4096 })
        for index in 0..<count {
            #expect(
                sink.matches(source, offset: 4096 * index, otherOffset: 4096 * index, count: 4096),
                "file f\(index) read back wrong")
        }
        for file in files { backend.closeFile(file) }
    }

    @Test("a failed request is a completion with -errno, not a throw")
    func errorsAreCompletions() throws {
        let scratch = ScratchDirectory(under: "/dev/shm")
        let backend = try URingIO(directory: scratch.path, queueDepth: 2)
        let file = try backend.openFile("x", options: IOFileOptions(create: true))
        // A read into an address the process cannot write is EFAULT from the kernel.
        let bad = UnsafeMutableRawPointer(bitPattern: 0x10)!
        try backend.reserve(file, size: 4096)
        let results = try IOBackendContract.execute(
            backend,
            [IORequest(kind: .read, file: file, offset: 0, buffer: bad, length: 4096, userData: 9)],
            check: .roundTrip)
        #expect(results[9] == -EFAULT)
        backend.closeFile(file)
    }
}

@Suite(
    "URingIO preconditions",
    .enabled(
        if: uringUnavailable == nil,
        Comment(rawValue: "io_uring unavailable: \(uringUnavailable ?? "")")))
struct URingIOPreconditionTests {
    // In the child, a setup failure exits 0 so the test fails instead of passing on the
    // wrong crash; the parent also checks the trap's message.

    @Test("a misaligned request under O_DIRECT traps (a tier bug, not an I/O error)")
    func misalignedDirectIOTraps() async throws {
        let result = try await #require(
            processExitsWith: .failure, observing: [\.standardErrorContent]
        ) {
            // The directory and file are unlinked before the trap; the descriptor stays usable.
            var template = Array("/tmp/spillway-uring-trap-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { exit(0) }
            let path = String(cString: made)
            guard let backend = try? URingIO(directory: path, queueDepth: 2, directIO: .required),
                let file = try? backend.openFile("x", options: IOFileOptions(create: true))
            else { exit(0) }
            try? backend.removeFile("x")
            rmdir(path)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 4096)
            _ = backend.prepare(
                IORequest(
                    kind: .write, file: file, offset: 512, buffer: buffer, length: 4096, userData: 1
                ))
            exit(0)
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("not 4096-aligned"), "stderr: \(stderr)")
    }

    @Test("reaping more completions than were submitted traps instead of hanging")
    func reapBeyondSubmittedTraps() async throws {
        let result = try await #require(
            processExitsWith: .failure, observing: [\.standardErrorContent]
        ) {
            var template = Array("/dev/shm/spillway-uring-trap-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { exit(0) }
            let path = String(cString: made)
            guard let backend = try? URingIO(directory: path, queueDepth: 2) else { exit(0) }
            rmdir(path)
            var completions: [IOCompletion] = []
            _ = try? backend.reap(into: &completions, minimum: 1)
            exit(0)
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("reap(minimum: 1)"), "stderr: \(stderr)")
    }
}
