// A private scratch directory for one test, removed with everything in it on deinit.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh 0700 directory under `parent` (mkdtemp), so parallel tests never share paths.
package final class ScratchDirectory {
    package let path: String

    /// - Parameter parent: `/dev/shm` (tmpfs, buffered I/O) or `/tmp` (ext4 here, O_DIRECT).
    package init(under parent: String = "/dev/shm") {
        var template = Array("\(parent)/spillway-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp in \(parent) failed: errno \(errno)")
        path = String(cString: template)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    package func sub(_ name: String) -> String { path + "/" + name }

    /// Names of the files in the directory, sorted.
    package var fileNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Writes a plain file of `size` zero bytes (0600).
    package func makeFile(_ name: String, size: Int) {
        let fd = open(sub(name), O_CREAT | O_EXCL | O_WRONLY, 0o600)
        precondition(fd >= 0, "create \(name) failed: errno \(errno)")
        precondition(ftruncate(fd, off_t(size)) == 0)
        close(fd)
    }
}
