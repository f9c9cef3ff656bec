// Helpers for region tests: a private scratch directory in /dev/shm, raw file reads, seeded RNG.
import Foundation
import Glibc

@testable import SpillwaySystem
import SpillwayTesting

extension ScratchDirectory {
    /// A unique instance id for one test.
    func instanceID(_ name: String = "r") -> String {
        "\(name)-\(UInt32.random(in: 0...UInt32.max))"
    }

    func regionPath(_ id: String) -> String { path + "/" + InstanceID.fileName(for: id) }
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

