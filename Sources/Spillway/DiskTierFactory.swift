// Opens a disk tier on a real directory: the io_uring backend wired to the core DiskTier.
import SpillwayCore
import SpillwaySystem

/// Factory for `DiskTier<URingIO>`.
public enum DiskTierFactory {
    /// Encode threads for this machine (`ThreadedDiskEncoder.defaultThreadCount`: one per
    /// online core but one, 1...4).
    public static var defaultEncoderThreads: Int { ThreadedDiskEncoder.defaultThreadCount }

    /// Opens (or, with `options.capacityBytes`, creates) the disk tier in `directory`.
    ///
    /// - Parameters:
    ///   - directory: The directory the tier owns (created 0700; files 0600).
    ///   - options: Tier options; `capacityBytes` is needed only to create a tier.
    ///   - queueDepth: io_uring queue depth (also bounds jobs in flight).
    ///   - directIO: O_DIRECT policy; `.auto` probes the file system once.
    ///   - encoderThreads: Threads that compress rows off the caller's thread
    ///     (`ThreadedDiskEncoder`; rows are stored raw while they are all busy) when the
    ///     codec is not `none`; 0 encodes inline in `submitStore` (deterministic: every
    ///     row is encoded). Their scratch memory comes out of `options.stagingBytesMax`.
    /// - Throws: `IOBackendError` (directory, io_uring, the directory locked by another
    ///   process: one writer per tier, readers only without a writer) or `DiskTierError` (no
    ///   tier, corrupt index, cannot reserve space, staging budget too small).
    public static func open(
        directory: String, options: DiskTierOptions, queueDepth: Int = 64,
        directIO: DirectIOMode = .auto, encoderThreads: Int = 0
    ) throws -> DiskTier<URingIO> {
        try open(
            directories: [directory], options: options, queueDepth: queueDepth,
            directIO: directIO, encoderThreads: encoderThreads)
    }

    /// `open(directory:...)` striped over several directories (one per device): the first
    /// is the tier's home (index, journal, `spillway-data.0`), each other one holds one data
    /// file, and the capacity is split equally over them (docs/DISK_FORMAT.md, "Several
    /// directories"). The list is fixed when the tier is created: reopening with another
    /// list (or order) throws `DiskTierError.invalidOptions` naming the difference.
    public static func open(
        directories: [String], options: DiskTierOptions, queueDepth: Int = 64,
        directIO: DirectIOMode = .auto, encoderThreads: Int = 0
    ) throws -> DiskTier<URingIO> {
        var options = options
        var encoderThreads = options.codec == .none || options.readOnly ? 0 : encoderThreads
        if encoderThreads > 0 {
            // The pool's scratch counts against the staging budget, as long as one
            // staging buffer still fits beside it (else fewer threads, down to inline).
            let perJob = DiskTierOptions.stagingBytes(blockByteCountMax: options.blockByteCountMax)
            while encoderThreads > 0,
                options.stagingBytesMax
                    - ThreadedDiskEncoder.scratchBytes(
                        threadCount: encoderThreads, blockByteCountMax: options.blockByteCountMax)
                    < perJob
            {
                encoderThreads -= 1
            }
            options.stagingBytesMax -= ThreadedDiskEncoder.scratchBytes(
                threadCount: encoderThreads, blockByteCountMax: options.blockByteCountMax)
        }
        // The backend locks the directory for the tier's lifetime: exclusive for a writer,
        // shared for a read-only tier; a conflicting opener is refused naming the holder.
        let io = try URingIO(
            directories: directories, queueDepth: queueDepth, directIO: directIO,
            access: options.readOnly ? .readOnly : .exclusive)
        let tier = try DiskTier(io: io, options: options)
        if encoderThreads > 0 {
            do {
                tier.useEncoder(
                    try ThreadedDiskEncoder(
                        threadCount: encoderThreads, blockByteCountMax: tier.blockByteCountMax))
            } catch {
                try? tier.close()
                throw error
            }
        }
        return tier
    }
}
