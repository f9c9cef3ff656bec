// How a backend holds its directory: the one writer (exclusive lock) or one of any number of
// readers (shared lock) — so two processes can never write one disk tier at once.

/// The lock a backend takes on its directory for its whole lifetime (flock on the directory
/// descriptor: released by the kernel when the process dies, however it dies).
public enum DirectoryAccess: Sendable {
    /// The only opener: creates the directory and files as needed, reads and writes.
    /// Refused while any other opener (writer or reader, this process or another) holds it.
    case exclusive
    /// Read-only: never creates, writes or reserves anything; files open O_RDONLY. Any
    /// number of readers may share the directory; refused while a writer holds it.
    case readOnly
}
