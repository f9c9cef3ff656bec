// A barrier between processes through a directory, for `spillway region create --barrier-dir`
// and the vLLM interoperability tests (vLLM takes any callable as its barrier).
//
// Protocol (the tests' Python participants implement the same): call k of a party creates the
// empty file `<dir>/<k>.<party>`, then waits until at least `parties` names start with `<k>.`.
// A party that dies after arriving still counts, so the others are never held up by it.
import Glibc
import SystemPackage

/// A reusable barrier of `parties` processes sharing `directory`.
package final class RegionFileBarrier: @unchecked Sendable {
    /// The shared directory (must exist).
    package let directory: String
    /// Processes that must arrive before anyone passes.
    package let parties: Int
    /// This process's name in the file names (its pid by default).
    package let party: String
    /// How long one wait may take.
    package let timeoutSeconds: Double
    private var generation = 0

    package init(directory: String, parties: Int, party: String? = nil, timeoutSeconds: Double = 60)
    {
        self.directory = directory
        self.parties = parties
        self.party = party ?? String(getpid())
        self.timeoutSeconds = timeoutSeconds
    }

    /// Arrives at the next generation and waits for every party.
    /// - Throws: `SharedOffloadRegionError.system` when the arrival cannot be written or the
    ///   others do not arrive within `timeoutSeconds` (ETIMEDOUT).
    package func wait() throws {
        generation += 1
        let prefix = "\(generation)."
        let mine = directory + "/" + prefix + party
        let fd = open(mine, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SharedOffloadRegionError.system(
                operation: "create barrier arrival", path: mine, errno: Errno(rawValue: errno))
        }
        RegionSyscalls.close(fd)
        let deadline = RegionOpener.unixNow() + timeoutSeconds
        while arrived(prefix: prefix) < parties {
            if RegionOpener.unixNow() > deadline {
                throw SharedOffloadRegionError.system(
                    operation: "barrier (\(parties) parties) in", path: directory,
                    errno: .timedOut)
            }
            usleep(2_000)
        }
    }

    private func arrived(prefix: String) -> Int {
        guard let dir = opendir(directory) else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix(prefix) { count += 1 }
        }
        return count
    }
}
