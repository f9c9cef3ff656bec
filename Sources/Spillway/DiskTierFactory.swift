// Opens a disk tier on a real directory: the io_uring backend wired to the core DiskTier.
import SpillwayCore
import SpillwaySystem

/// Factory for `DiskTier<URingIO>`.
public enum DiskTierFactory {
    /// Opens (or, with `options.capacityBytes`, creates) the disk tier in `directory`.
    ///
    /// - Parameters:
    ///   - directory: The directory the tier owns (created 0700; files 0600).
    ///   - options: Tier options; `capacityBytes` is needed only to create a tier.
    ///   - queueDepth: io_uring queue depth (also bounds jobs in flight).
    ///   - directIO: O_DIRECT policy; `.auto` probes the file system once.
    /// - Throws: `IOBackendError` (directory, io_uring, the directory locked by another
    ///   process: one writer per tier, readers only without a writer) or `DiskTierError` (no
    ///   tier, corrupt index, cannot reserve space, staging budget too small).
    public static func open(
        directory: String, options: DiskTierOptions, queueDepth: Int = 64,
        directIO: DirectIOMode = .auto
    ) throws -> DiskTier<URingIO> {
        // The backend locks the directory for the tier's lifetime: exclusive for a writer,
        // shared for a read-only tier; a conflicting opener is refused naming the holder.
        let io = try URingIO(
            directory: directory, queueDepth: queueDepth, directIO: directIO,
            access: options.readOnly ? .readOnly : .exclusive)
        return try DiskTier(io: io, options: options)
    }
}
