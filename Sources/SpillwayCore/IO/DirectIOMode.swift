// Whether an I/O backend opens its files O_DIRECT (bypassing the page cache).

/// How a backend decides on direct I/O (O_DIRECT) for its directory.
///
/// The backend probes the directory's file system once: a file system that either refuses
/// O_DIRECT (older tmpfs: EINVAL) or accepts it without enforcing alignment (tmpfs since
/// Linux 6.6: it still goes through the page cache) does not support direct I/O.
public enum DirectIOMode: String, CaseIterable, Sendable {
    /// Direct I/O or nothing: opening the backend fails when the file system cannot.
    case required
    /// Direct I/O when the file system supports it, buffered I/O otherwise.
    case auto
    /// Buffered I/O through the page cache, without probing.
    case off
}
