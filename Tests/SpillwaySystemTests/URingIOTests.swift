// Real-kernel tests of URingIO: the shared IOBackend contract on a disk file system (/tmp,
// O_DIRECT) and on tmpfs (/dev/shm, buffered fallback), plus what only the io_uring backend
// promises (direct-I/O probe, directory hygiene, permissions, ENOSPC).
import Foundation
import Glibc
import SpillwayCore
import SpillwaySystem
import SpillwayTesting
import Testing

/// A fresh private directory under `parent`, removed when the test is done.
final class ScratchDirectory {
    let path: String

    init(under parent: String) throws {
        var template = Array("\(parent)/spillway-uring-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw IOBackendError(
                operation: "mkdtemp", path: parent, errno: errno, message: "cannot make a test directory")
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

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
        let scratch = try ScratchDirectory(under: "/tmp")
        try IOBackendContract.run(check, directory: scratch.sub("tier")) {
            let backend = try URingIO(directory: $0, queueDepth: 16, directIO: .required)
            #expect(backend.requiredAlignment == 4096)
            return backend
        }
    }

    @Test("contract on /dev/shm (buffered fallback)", arguments: IOBackendContract.Check.allCases)
    func contractOnTmpfs(_ check: IOBackendContract.Check) throws {
        let scratch = try ScratchDirectory(under: "/dev/shm")
        try IOBackendContract.run(check, directory: scratch.sub("tier")) {
            let backend = try URingIO(directory: $0, queueDepth: 8, directIO: .auto)
            #expect(backend.requiredAlignment == 1)
            return backend
        }
    }

    @Test("contract with queue depth 1 (every request waits for the previous)")
    func contractDepthOne() throws {
        let scratch = try ScratchDirectory(under: "/tmp")
        try IOBackendContract.runAll(directory: scratch.sub("tier")) {
            try URingIO(directory: $0, queueDepth: 1)
        }
    }

    // MARK: Direct I/O probe

    @Test("O_DIRECT probe: true on /tmp (ext4/xfs), false on /dev/shm (tmpfs)")
    func directIOProbe() throws {
        let disk = try ScratchDirectory(under: "/tmp")
        let tmpfs = try ScratchDirectory(under: "/dev/shm")
        let onDisk = try URingIO(directory: disk.path)
        let onTmpfs = try URingIO(directory: tmpfs.path)
        #expect(onDisk.usesDirectIO)
        #expect(onDisk.requiredAlignment == 4096)
        #expect(!onTmpfs.usesDirectIO)
        #expect(onTmpfs.requiredAlignment == 1)
        let off = try URingIO(directory: disk.path, directIO: .off)
        #expect(!off.usesDirectIO)
        // The probe leaves nothing behind.
        #expect(try onDisk.listFiles().isEmpty)
        #expect(try onTmpfs.listFiles().isEmpty)
    }

    @Test("direct I/O required on /dev/shm throws a clear error")
    func requiredOnTmpfsThrows() throws {
        let tmpfs = try ScratchDirectory(under: "/dev/shm")
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
        let scratch = try ScratchDirectory(under: "/tmp")
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
        let scratch = try ScratchDirectory(under: "/tmp")
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
        let scratch = try ScratchDirectory(under: "/tmp")
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
        let tmpfs = try ScratchDirectory(under: "/dev/shm")
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
        let scratch = try ScratchDirectory(under: "/tmp")
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

    @Test("a failed request is a completion with -errno, not a throw")
    func errorsAreCompletions() throws {
        let scratch = try ScratchDirectory(under: "/dev/shm")
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
