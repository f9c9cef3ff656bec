// Helpers for region tests: a private scratch directory in /dev/shm, raw file reads, seeded RNG.
import Foundation
import Glibc

@testable import SpillwaySystem

/// A fresh 0700 directory under /dev/shm, removed with everything in it on deinit, so
/// parallel tests never share a region path.
final class ScratchDirectory {
    let path: String

    init(_ label: String = #function) {
        var template = Array("/dev/shm/spillway-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp in /dev/shm failed: errno \(errno)")
        path = String(cString: template)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A unique instance id for one test.
    func instanceID(_ name: String = "r") -> String {
        "\(name)-\(UInt32.random(in: 0...UInt32.max))"
    }

    func regionPath(_ id: String) -> String { path + "/" + InstanceID.fileName(for: id) }

    /// Names of the files in the directory, sorted.
    var fileNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Writes a plain file of `size` zero bytes (0600).
    func makeFile(_ name: String, size: Int) {
        let fd = open(path + "/" + name, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        precondition(fd >= 0, "create \(name) failed: errno \(errno)")
        precondition(ftruncate(fd, off_t(size)) == 0)
        close(fd)
    }
}

/// The bytes of a file through read(2), independent of any mapping.
func rawBytes(_ path: String) -> [UInt8] {
    [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

/// True when this process holds a descriptor on `path` (for "descriptor closed" checks that
/// stay correct while other tests open files in parallel).
func processHoldsDescriptor(on path: String) -> Bool {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.contains {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
    }
}

/// splitmix64: small, seedable, good enough to pick geometries.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
