// Data-mode replay: a real shared region and disk tier behind the tiering engine, the
// deterministic payload written on every store and checked on every promotion.
import Foundation
import SpillwayCore
import SpillwaySystem

/// Builds a region (unranked manager mapping, one worker, `cpuPageSize = blockBytes`, unique
/// instance id in `/dev/shm`) and a disk tier sized never to evict by itself, replays a trace
/// through a `TieringEngine` over a `RegionDiskDataPath`, and cleans both up.
package enum DataModeReplay {
    /// Replays `trace` in data mode. `progress` is called after each request.
    /// - Throws: `DataModeError` for setup problems (directory, region, disk tier) and when
    ///   the I/O backend itself failed mid-replay.
    package static func run(
        _ trace: MooncakeTrace, options: DataModeOptions,
        progress: ((Int, TieringCounters) -> Void)? = nil
    ) throws -> DataModeReport {
        try validate(options)
        guard options.extraDiskDirectories.isEmpty || options.diskDirectory != nil else {
            throw DataModeError("more disk directories need the first one given too")
        }
        let (directory, created) = try prepareDirectory(options.diskDirectory)
        var extras: [(directory: String, created: Bool)] = []
        do {
            for extra in options.extraDiskDirectories { extras.append(try prepareDirectory(extra)) }
        } catch {
            // A refused extra directory: the ones created here so far hold nothing yet.
            for made in [(directory, created)] + extras where made.created {
                try? FileManager.default.removeItem(atPath: made.directory)
            }
            throw error
        }
        // Only the tier's owner removes it: a replay refused by another process's lock on a
        // given --disk-dir must not delete that process's files. A fresh temporary
        // directory is this replay's alone.
        var ownsTier = options.diskDirectory == nil
        defer {
            if ownsTier && !options.keep {
                removeTier(directory, created: created)
                for (index, extra) in extras.enumerated() {
                    removeTier(
                        extra.directory, created: extra.created,
                        names: [DiskLayout.dataFileName(index + 1)])
                }
            }
        }
        let region = try makeRegion(options)
        defer { region.cleanup() }
        unlinkOwnRegion(region)
        let disk: DiskTier<URingIO>
        do {
            disk = try DiskTierFactory.open(
                directories: [directory] + extras.map(\.directory), options: diskOptions(options),
                queueDepth: options.queueDepth, directIO: options.directIO)
        } catch {
            throw DataModeError("cannot create the disk tier in \(directory): \(error)")
        }
        ownsTier = true
        let report = try replay(
            trace, region: region, disk: disk, options: options, directory: directory,
            progress: progress)
        if options.keep {
            do { try disk.close() } catch {
                throw DataModeError("closing the kept disk tier in \(directory) failed: \(error)")
            }
        }
        return report
    }

    /// Replays through an already built region and disk tier (any backend): the core of
    /// `run`, used directly by tests with a simulated backend.
    package static func replay<IO: IOBackend>(
        _ trace: MooncakeTrace, region: SharedOffloadRegion, disk: DiskTier<IO>,
        options: DataModeOptions, directory: String = "",
        progress: ((Int, TieringCounters) -> Void)? = nil
    ) throws -> DataModeReport {
        let dataPath = RegionDiskDataPath(
            region: region, disk: disk, diskRecords: options.diskBlocks, payload: options.payload)
        let replay = ReplayEngine(
            primaryBlocks: options.primaryBlocks, diskBlocks: options.diskBlocks,
            policy: options.policy, dataPath: dataPath)
        let bytesWrittenBefore = disk.stats.bytesWritten
        let bytesReadBefore = disk.stats.bytesRead
        let clock = ContinuousClock()
        let start = clock.now
        var storesAtLastSync = disk.stats.stores
        for index in 0..<trace.count {
            replay.replay(request: index, of: trace)
            if options.syncIntervalBlocks > 0,
                disk.stats.stores - storesAtLastSync >= options.syncIntervalBlocks
            {
                do { try disk.sync() } catch {
                    throw DataModeError("the disk tier could not make its blocks durable: \(error)")
                }
                storesAtLastSync = disk.stats.stores
            }
            progress?(index + 1, replay.engine.counters)
        }
        dataPath.drain()
        let elapsed = clock.now - start
        if let error = dataPath.backendError {
            throw DataModeError(
                "the disk tier's I/O backend failed mid-replay: \(error); counters are incomplete")
        }
        let parts = elapsed.components
        return DataModeReport(
            counters: replay.counters, stats: dataPath.stats,
            diskBytesWritten: disk.stats.bytesWritten - bytesWrittenBefore,
            diskBytesRead: disk.stats.bytesRead - bytesReadBefore,
            elapsedSeconds: Double(parts.seconds) + Double(parts.attoseconds) / 1e18,
            loadLatency: dataPath.loadLatency.summary, diskDirectory: directory, kept: options.keep,
            blockBytes: dataPath.blockBytes, regionSegments: region.segments.count)
    }

    /// Disk tier options for `options`: capacity from `DiskTierSizing`, jobs = queue depth.
    package static func diskOptions(_ options: DataModeOptions) -> DiskTierOptions {
        // Striped over D directories: each data file sized for ceil(N / D) blocks, so while
        // fewer than N are stored one file has fewer than its share and so a free run.
        let files = 1 + options.extraDiskDirectories.count
        var tierOptions = DiskTierOptions(
            capacityBytes: files
                * DiskTierSizing.capacityBytes(
                    blocks: (options.diskBlocks + files - 1) / files, blockBytes: options.blockBytes,
                    codec: options.codec),
            blockByteCountMax: options.blockBytes, codec: options.codec,
            compressionThreshold: options.compressionThreshold, jobCountMax: options.queueDepth,
            reservedBlockCount: options.diskBlocks + options.queueDepth)
        tierOptions.stagingBytesMax = options.stagingBytesMax
        return tierOptions
    }

    /// The region of a data-mode store: unranked (the manager's mapping), with the options'
    /// geometry (default: one worker, seed layout) and instance id (default: unique).
    package static func makeRegion(_ options: DataModeOptions) throws -> SharedOffloadRegion {
        let id =
            options.regionInstanceID
            ?? "spillway-data-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        let geometry = options.regionGeometry ?? (1, options.blockBytes, .seed)
        let rows = max(1, options.primaryBlocks)
        let region: SharedOffloadRegion
        do {
            // A barrier of one participant: the creator unlinks its files as soon as they
            // are mapped, before pre-faulting (the region protocol's rendezvous), so the
            // window in which a SIGKILL can leave a file is a few system calls long.
            region = try SharedOffloadRegion(
                instanceID: id, numBlocks: rows, rank: nil, numWorkers: geometry.numWorkers,
                cpuPageSize: geometry.cpuPageSize, layout: geometry.layout,
                directory: options.regionDirectory, numSegments: options.regionNumSegments,
                barrier: {})
        } catch {
            throw DataModeError(
                "cannot create the shared region (\(rows) rows of \(options.blockBytes) bytes in \(options.regionDirectory)): \(error)"
            )
        }
        guard region.isCreator else {
            let path = region.path
            region.cleanup()
            throw DataModeError(
                "the shared region \(path) already exists (another process's, or left by a crash): it is never reused for a replay; check `spillway region list --region-dir \(options.regionDirectory)` and remove it with `spillway region clean`, or choose another instance id"
            )
        }
        precondition(
            region.rowStride == options.blockBytes,
            "region row stride \(region.rowStride) != block bytes \(options.blockBytes)")
        return region
    }

    /// Removes the region's name (and sidecar) from its directory right after it is mapped
    /// when the creation's barrier did not already: nobody else joins a data-mode region,
    /// so the mapping alone keeps it alive and a process killed with SIGKILL leaves nothing
    /// in /dev/shm. Only the file this region created and still maps is unlinked.
    static func unlinkOwnRegion(_ region: SharedOffloadRegion) {
        guard region.isCreator, region.pathNamesMappedFile() else { return }
        // The sidecar first: once the mapping shows "(deleted)" nothing is left to remove
        // (RegionLeakTests kills the replay at that moment).
        _ = unlink(region.sidecarPath)
        _ = unlink(region.path)
    }

    static func validate(_ options: DataModeOptions) throws {
        guard options.blockBytes >= 1, options.blockBytes <= 64 << 20 else {
            throw DataModeError("--block-bytes must be in 1...67108864 (got \(options.blockBytes))")
        }
        guard (1...4096).contains(options.queueDepth) else {
            throw DataModeError("--queue-depth must be in 1...4096 (got \(options.queueDepth))")
        }
    }

    /// The tier directory: a fresh one under /tmp, or the given one (created when missing,
    /// refused when it already holds a tier). Returns whether it was created here.
    static func prepareDirectory(_ given: String?) throws -> (String, Bool) {
        let manager = FileManager.default
        guard let given else {
            let path = NSTemporaryDirectory().appending("spillway-replay-\(UUID().uuidString)")
            do {
                try manager.createDirectory(
                    atPath: path, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw DataModeError(
                    "cannot create a temporary disk directory \(path): \(error.localizedDescription); pass --disk-dir"
                )
            }
            return (path, true)
        }
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: given, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DataModeError("--disk-dir \(given) is not a directory")
            }
            let names = (try? manager.contentsOfDirectory(atPath: given)) ?? []
            if names.contains(where: { $0.hasPrefix("spillway-") }) {
                throw DataModeError(
                    "--disk-dir \(given) already holds a disk tier (spillway-* files): remove them or choose an empty directory"
                )
            }
            return (given, false)
        }
        do {
            try manager.createDirectory(
                atPath: given, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw DataModeError("cannot create --disk-dir \(given): \(error.localizedDescription)")
        }
        return (given, true)
    }

    /// Removes the tier: the whole directory when created here, else only its tier files.
    static func removeTier(
        _ directory: String, created: Bool,
        names: [String] = DiskLayout.fileNames + [DiskLayout.directoryManifestFileName]
    ) {
        let manager = FileManager.default
        if created {
            try? manager.removeItem(atPath: directory)
            return
        }
        for name in names {
            try? manager.removeItem(atPath: directory + "/" + name)
        }
    }
}

/// A data-mode setup or backend failure, with what to do.
package struct DataModeError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
