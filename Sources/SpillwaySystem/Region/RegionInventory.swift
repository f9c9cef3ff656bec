import Glibc
import SystemPackage

// Operator view of a region directory: every vllm_offload_*.mmap with size, owner, age, the
// live processes using it, and removal of the ones nobody uses (the leak after crashes).
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One region found in a directory: its first file plus its other segment files, or a segment
/// file whose first file is gone (`segmentIndex > 0`).
public struct RegionListing: Codable, Sendable, Equatable {
    public var instanceID: String
    /// The first file, `vllm_offload_<id>.mmap` (or the orphaned segment file itself).
    public var path: String
    /// Bytes of all the region's files together.
    public var sizeBytes: Int
    /// 0 for a region; `i` for an orphaned segment file `<region>.<i>` listed on its own.
    public var segmentIndex: Int = 0
    /// The region's other segment files (`<path>.1`, ...), in index order.
    public var segments: [RegionSegmentFile] = []
    public var ownerUID: UInt32
    public var permissions: String
    /// Seconds since the file was last modified.
    public var ageSeconds: Int
    /// PIDs of live processes mapping the file.
    public var mappingPIDs: [Int32]
    /// PIDs of live processes holding it open without (yet) mapping it, e.g. a joiner waiting
    /// for the creator.
    public var openPIDs: [Int32]
    /// `live` when some process maps or holds it open, `stale` when none does, `unknown` when
    /// it belongs to another user and some processes could not be inspected.
    public var state: String
    /// The sidecar, when present and describing this file.
    public var metadata: RegionMetadata?
    /// Why the entry is odd, e.g. a symlink or not a regular file; nil when fine.
    public var problem: String?

    public var isLive: Bool { state == "live" }
}

/// What `clean` removed or would remove.
public struct RegionCleanReport: Codable, Sendable, Equatable {
    public var directory: String
    public var dryRun: Bool
    /// Region files and orphaned sidecars removed (or that would be, with dryRun).
    public var removed: [String]
    /// Stale-looking regions left alone, with the reason.
    public var kept: [String: String]
    public var freedBytes: Int
}

/// Listing and cleaning of region directories.
public enum RegionInventory {
    /// Every `vllm_offload_*.mmap` in `directory`, sorted by instance id.
    /// - Throws: `SharedOffloadRegionError.system` when the directory cannot be read.
    public static func list(
        directory: String, usage: ProcessFileUsage = .scan()
    ) throws -> [RegionListing] {
        guard let dir = opendir(directory) else {
            throw SharedOffloadRegionError.system(
                operation: "opendir", path: directory, errno: Errno(rawValue: errno))
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            names.append(
                withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                })
        }
        closedir(dir)
        let now = Int(RegionOpener.unixNow())
        let regionNames = Set(names.filter { InstanceID.parse(fileName: $0) != nil })
        var segmentsOf: [String: [(index: Int, name: String)]] = [:]
        var orphans: [(id: String, index: Int, name: String)] = []
        for name in names {
            guard let (id, index) = InstanceID.parseSegment(fileName: name) else { continue }
            let first = InstanceID.fileName(for: id)
            if regionNames.contains(first) {
                segmentsOf[first, default: []].append((index, name))
            } else {
                orphans.append((id, index, name))
            }
        }
        var result: [RegionListing] = []
        let entries =
            regionNames.map { (id: InstanceID.parse(fileName: $0)!, index: 0, name: $0) } + orphans
        for (id, segmentIndex, name) in entries {
            let path = directory + "/" + name
            guard let status = try? FileStatus.ofLink(atPath: path) else { continue }
            var problem: String? = nil
            if status.isSymbolicLink {
                problem = "symbolic link (never followed)"
            } else if !status.isRegularFile {
                problem = status.kindDescription
            }
            var mappers = problem == nil ? usage.mappers(of: status) : []
            var openers = problem == nil ? usage.users(of: status).subtracting(mappers) : []
            var size = status.size
            var segmentFiles: [RegionSegmentFile] = []
            for (index, segmentName) in (segmentsOf[name] ?? []).sorted(by: { $0.index < $1.index })
            {
                let segmentPath = directory + "/" + segmentName
                guard let segment = try? FileStatus.ofLink(atPath: segmentPath) else { continue }
                let usable = segment.isRegularFile && !segment.isSymbolicLink
                let segmentMappers = usable ? usage.mappers(of: segment) : []
                mappers.formUnion(segmentMappers)
                if usable { openers.formUnion(usage.users(of: segment)) }
                size += segment.size
                segmentFiles.append(
                    RegionSegmentFile(
                        index: index, path: segmentPath, sizeBytes: segment.size,
                        mappingPIDs: segmentMappers.sorted(),
                        problem: usable ? nil : segment.kindDescription))
            }
            openers.subtract(mappers)
            var metadata: RegionMetadata? = nil
            if problem == nil,
                let meta = try? RegionMetadata.read(
                    path: RegionMetadata.sidecarPath(forRegionPath: path)),
                meta.describes(status)
            {
                metadata = meta
            }
            result.append(
                RegionListing(
                    instanceID: id, path: path, sizeBytes: size, segmentIndex: segmentIndex,
                    segments: segmentFiles, ownerUID: status.ownerUID,
                    permissions: String(status.permissions, radix: 8),
                    ageSeconds: max(0, now - status.modificationTimeSeconds),
                    mappingPIDs: mappers.sorted(), openPIDs: openers.sorted(),
                    state: state(
                        used: !(mappers.isEmpty && openers.isEmpty), owner: status.ownerUID,
                        usage: usage),
                    metadata: metadata, problem: problem))
        }
        return result.sorted { ($0.instanceID, $0.segmentIndex) < ($1.instanceID, $1.segmentIndex) }
    }

    /// `live` when a process uses the file; `stale` when none does and we could see every
    /// process that might (all processes readable, or the file is ours: our own processes'
    /// maps are always readable); otherwise `unknown`.
    static func state(used: Bool, owner: UInt32, usage: ProcessFileUsage) -> String {
        if used { return "live" }
        if usage.unreadableProcessCount == 0 || owner == geteuid() { return "stale" }
        return "unknown"
    }

    /// Removes every region in `directory` that no live process maps or holds open, with its
    /// sidecar, plus sidecars whose region is gone. Keeps regions of other users unless we are
    /// root, and symlinks or special files (reported, never followed).
    /// A region is removed only if the path still names the inode that was found unused.
    public static func clean(directory: String, dryRun: Bool) throws -> RegionCleanReport {
        try clean(directory: directory, dryRun: dryRun, usage: ProcessFileUsage.scan())
    }

    /// `clean` with the first process scan given (tests pass an old one to replay the race
    /// of a region created between the scan and the listing).
    ///
    /// The scan precedes the listing, so a region created (or joined) in between looks
    /// unused in it. Before unlinking, each candidate's inode is therefore taken from the
    /// path and checked against a second scan made after that: its creator or joiner had
    /// the file open or mapped before the inode could be seen at the path.
    static func clean(directory: String, dryRun: Bool, usage: ProcessFileUsage) throws
        -> RegionCleanReport
    {
        let listings = try list(directory: directory, usage: usage)
        // Inodes of the stale candidates' files (first, then the other segments), taken
        // before the second scan; a file whose size changed since the listing is skipped.
        var candidates: [String: [(path: String, status: FileStatus)]] = [:]
        for entry in listings where !entry.isLive && entry.problem == nil {
            var files: [(path: String, status: FileStatus)] = []
            for (path, size) in [(entry.path, nil)]
                + entry.segments.map({ ($0.path, $0.sizeBytes) })
            {
                guard let status = (try? FileStatus.ofLink(atPath: path)) ?? nil,
                    status.isRegularFile, size == nil || status.size == size
                else { continue }
                files.append((path, status))
            }
            if files.first?.path == entry.path { candidates[entry.path] = files }
        }
        let recheck = dryRun || candidates.isEmpty ? usage : ProcessFileUsage.scan()
        var report = RegionCleanReport(
            directory: directory, dryRun: dryRun, removed: [], kept: [:], freedBytes: 0)
        let root = geteuid() == 0
        for entry in listings {
            if entry.isLive { continue }
            if entry.state != "stale" {
                report.kept[entry.path] =
                    "owned by uid \(entry.ownerUID), whose processes we cannot inspect; run as root"
                continue
            }
            if let problem = entry.problem {
                report.kept[entry.path] = "\(problem): remove it by hand if it is not needed"
                continue
            }
            if !root && entry.ownerUID != geteuid() {
                report.kept[entry.path] =
                    "owned by uid \(entry.ownerUID); its processes may be invisible to us"
                continue
            }
            let sidecar = RegionMetadata.sidecarPath(forRegionPath: entry.path)
            if dryRun {
                report.removed.append(entry.path)
                report.removed.append(contentsOf: entry.segments.map(\.path))
                report.freedBytes += entry.sizeBytes
                if (try? FileStatus.ofLink(atPath: sidecar)) ?? nil != nil {
                    report.removed.append(sidecar)
                }
                continue
            }
            guard let files = candidates[entry.path] else { continue }
            if files.contains(where: { !recheck.users(of: $0.status).isEmpty }) {
                report.kept[entry.path] = "in use since the first scan"
                continue
            }
            for file in files
            where RegionSyscalls.unlinkIfSameInode(file.path, expected: file.status) {
                report.removed.append(file.path)
                report.freedBytes += file.status.size
            }
            if report.removed.contains(entry.path), unlink(sidecar) == 0 {
                report.removed.append(sidecar)
            }
        }
        // Orphaned sidecars and temp files: `vllm_offload_<id>.mmap.meta[.tmp.<pid>]` whose
        // region file is gone.
        if let dir = opendir(directory) {
            var orphans: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                guard name.hasPrefix("vllm_offload_") else { continue }
                let parts = name.components(separatedBy: ".mmap.meta")
                guard parts.count == 2 else { continue }
                let regionName = parts[0] + ".mmap"
                let regionPath = directory + "/" + regionName
                if (try? FileStatus.ofLink(atPath: regionPath)) ?? nil == nil {
                    orphans.append(directory + "/" + name)
                }
            }
            closedir(dir)
            for orphan in orphans where !report.removed.contains(orphan) {
                guard let status = try? FileStatus.ofLink(atPath: orphan), status.isRegularFile,
                    root || status.ownerUID == geteuid()
                else { continue }
                if dryRun || unlink(orphan) == 0 { report.removed.append(orphan) }
            }
        }
        return report
    }
}
