// The owned directory's lock: flock on the directory descriptor itself (no lock file to leave
// behind or to plant), exclusive for the writer, shared for readers, and the holder's pid from
// /proc/locks for the refusal message.
import Glibc
import SpillwayCore

extension OwnedDirectory {
    /// Takes the lock for `access` without waiting; it lasts until `descriptor` is closed (or
    /// the process dies).
    ///
    /// - Throws: `IOBackendError` (EWOULDBLOCK) naming the holder's pid when another opener
    ///   holds a conflicting lock.
    func lock(_ access: DirectoryAccess) throws {
        let operation = (access == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB
        let descriptor = self.descriptor
        if SystemCall.retryingInterrupts({ flock(descriptor, operation) }) == 0 { return }
        let code = errno
        guard code == EWOULDBLOCK else {
            throw Self.failure("lock directory", path, code, "cannot lock the directory")
        }
        let holders = lockHolders()
        let who =
            holders.isEmpty
            ? "another opener (its pid is not visible here)"
            : holders.map { "pid \($0)" }.joined(separator: ", ")
        let what =
            access == .exclusive
            ? "is in use by \(who): a disk tier has exactly one writer, and readers (disk inspect, disk verify) block it too; stop that process or use another directory"
            : "is being written by \(who): inspect or verify it after that process exits"
        throw IOBackendError(
            operation: "lock directory", path: path, errno: code, message: what)
    }

    /// Pids holding a flock on this directory, from /proc/locks (empty when unreadable).
    /// Lines look like `1: FLOCK  ADVISORY  WRITE 4242 08:01:131077 0 EOF`.
    func lockHolders() -> [Int32] {
        var info = stat()
        guard fstat(descriptor, &info) == 0, let file = fopen("/proc/locks", "r") else {
            return []
        }
        defer { fclose(file) }
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        let wanted = String(major, radix: 16).leftPadded(2) + ":"
            + String(minor, radix: 16).leftPadded(2) + ":" + String(info.st_ino)
        var holders: [Int32] = []
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let fields = String(cString: line).split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK",
                let index = fields.firstIndex(where: { $0 == Substring(wanted) }), index >= 1,
                let pid = Int32(fields[index - 1]), pid > 0
            else { continue }
            if !holders.contains(pid) { holders.append(pid) }
        }
        return holders
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
