// The disk-tier benchmark (`spillway bench disk --layer tier`): the raw benchmark's
// write-then-random-read pattern, but every row goes through `DiskTier<URingIO>` (record
// header, CRC32C, staging copy, optional codec) and every loaded row is checked.
import Spillway
import Foundation
import SpillwayCore
import SpillwaySystem

/// Sequential stores then random loads of whole rows through the disk tier.
package enum TierBenchmark {
    /// Subdirectory of `--disk-dir` the benchmark's tier lives in (removed afterwards unless
    /// `keepFile`).
    package static let directoryName = "spillway-bench-tier"

    /// Distinct payloads generated before timing. Row `i` carries payload `i % count` with
    /// its own index stamped in its first 8 bytes, so each row is unique and a wrong row
    /// fails the comparison.
    static func poolCount(blockBytes: Int, blockCount: Int, queueDepth: Int) -> Int {
        let budget = 512 << 20
        let fitting = max(1, budget / blockBytes)
        // Two per job in flight, but never more than twice the budget.
        return max(1, min(blockCount, max(min(queueDepth * 2, 2 * fitting), fitting)))
    }

    /// Opens a fresh tier under `options.directory` and measures it.
    /// - Parameter encoderThreads: compress rows on this many threads beside the one that
    ///   submits (`ThreadedDiskEncoder`; rows are stored raw while they are all busy); 0
    ///   compresses every row inline on the submitting thread.
    package static func run(
        _ options: DiskBenchmarkOptions, codec: DiskCodec, payload: PayloadKind,
        encoderThreads: Int = 0
    ) throws -> DiskBenchmarkReport {
        if let problem = options.problem() { throw DiskBenchmarkError(description: problem) }
        guard options.blockBytes >= 8 else {
            throw DiskBenchmarkError(description: "--block-bytes must be at least 8")
        }
        // The tier's home, then one directory per extra --disk-dir (a data file each).
        let directories = ([options.directory] + options.extraDirectories).map {
            $0 + "/" + directoryName
        }
        let manager = FileManager.default
        for directory in directories {
            do {
                try manager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw DiskBenchmarkError(
                    description: "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        func removeTierFiles() {
            for directory in directories {
                let names = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
                for name in names where name.hasPrefix("spillway-") {
                    try? manager.removeItem(atPath: directory + "/" + name)
                }
            }
        }
        // A tier left behind by an earlier --keep-file run would be reopened, not measured.
        removeTierFiles()
        defer {
            if !options.keepFile {
                removeTierFiles()
                for directory in directories { try? manager.removeItem(atPath: directory) }
            }
        }

        let blockBytes = options.blockBytes
        let blockCount = Int(options.totalBytes / UInt64(blockBytes))
        let extentBytes = DiskLayout.roundUp(
            DiskRecordHeader.byteCount + blockBytes, to: DiskLayout.pageBytes)
        // Striped: an equal share per directory, with room for the rounding of the shares.
        var tierOptions = DiskTierOptions(
            capacityBytes: (blockCount + directories.count - 1) * extentBytes,
            blockByteCountMax: blockBytes, codec: codec,
            jobCountMax: options.queueDepth, reservedBlockCount: blockCount)
        tierOptions.registersBuffers = options.registeredBuffers
        tierOptions.stagingBytesMax = options.bufferBytesMax
        let tier = try DiskTierFactory.open(
            directories: directories, options: tierOptions, queueDepth: options.queueDepth,
            directIO: options.directIO, encoderThreads: encoderThreads)
        // Room for every row stored raw: the tier must never evict during the run.
        tier.allocationScanPageCountMax = tier.capacityBytes / DiskLayout.pageBytes
        var evictions = 0
        tier.evictionHandler = { _ in evictions += 1 }
        defer { try? tier.close() }

        // Payloads, generated before any timing.
        let pool = poolCount(
            blockBytes: blockBytes, blockCount: blockCount, queueDepth: tier.jobCapacity)
        let payloads = UnsafeMutableRawPointer.allocate(
            byteCount: pool * blockBytes, alignment: 4096)
        defer { payloads.deallocate() }
        for index in 0..<pool {
            PayloadGenerator.fill(
                UnsafeMutableRawBufferPointer(
                    start: payloads + index * blockBytes, count: blockBytes),
                key: BlockKey(traceID: UInt64(index)), kind: payload)
        }
        let depth = tier.jobCapacity
        let lanes = UnsafeMutableRawPointer.allocate(byteCount: depth * blockBytes, alignment: 4096)
        defer { lanes.deallocate() }
        lanes.initializeMemory(as: UInt8.self, repeating: 0, count: depth * blockBytes)

        var completions: [DiskCompletion] = []
        completions.reserveCapacity(depth * 2)
        var startTimes = [UInt64](repeating: 0, count: blockCount)

        // Write phase: rows 0..<blockCount in order, `depth` stores in flight.
        var writeLatencies: [UInt64] = []
        writeLatencies.reserveCapacity(blockCount)
        var next = 0
        var done = 0
        let writeStart = MonotonicClock.nanoseconds()
        while done < blockCount {
            while next < blockCount {
                let row = payloads + (next % pool) * blockBytes
                row.storeBytes(of: UInt64(next), as: UInt64.self)
                let started = MonotonicClock.nanoseconds()
                guard
                    tier.submitStore(
                        key: BlockKey(traceID: UInt64(next)),
                        bytes: UnsafeRawBufferPointer(start: row, count: blockBytes),
                        token: UInt64(next))
                else { break }
                startTimes[next] = started
                next += 1
            }
            completions.removeAll(keepingCapacity: true)
            try tier.wait(into: &completions, minimum: 1)
            let now = MonotonicClock.nanoseconds()
            for completion in completions {
                guard case .store(.stored) = completion.outcome else {
                    throw DiskBenchmarkError(
                        description:
                            "store of row \(completion.token) failed: \(completion.outcome)")
                }
                writeLatencies.append(now - startTimes[Int(completion.token)])
                done += 1
            }
        }
        let writeNanoseconds = MonotonicClock.nanoseconds() - writeStart
        let syncStart = MonotonicClock.nanoseconds()
        try tier.sync()
        let syncNanoseconds = MonotonicClock.nanoseconds() - syncStart
        let inspection = tier.inspect()
        guard evictions == 0, inspection.blocks == blockCount else {
            throw DiskBenchmarkError(
                description: "the tier holds \(inspection.blocks) of \(blockCount) rows "
                    + "(\(evictions) evicted)")
        }

        // Read phase: every row once in a seeded random order, `depth` loads in flight.
        var readOrder = Array(0..<blockCount)
        var shuffler = BenchmarkRandom(seed: options.seed)
        for index in stride(from: blockCount - 1, to: 0, by: -1) {
            readOrder.swapAt(index, Int(shuffler.next() % UInt64(index + 1)))
        }
        var readLatencies: [UInt64] = []
        readLatencies.reserveCapacity(blockCount)
        var freeLanes = Array((0..<depth).reversed())
        var laneRows = [Int](repeating: -1, count: depth)
        next = 0
        done = 0
        let readStart = MonotonicClock.nanoseconds()
        while done < blockCount {
            while next < blockCount, let lane = freeLanes.last {
                let row = readOrder[next]
                let started = MonotonicClock.nanoseconds()
                guard
                    tier.submitLoad(
                        key: BlockKey(traceID: UInt64(row)),
                        into: UnsafeMutableRawBufferPointer(
                            start: lanes + lane * blockBytes, count: blockBytes),
                        token: UInt64(lane))
                else { break }
                freeLanes.removeLast()
                laneRows[lane] = row
                startTimes[row] = started
                next += 1
            }
            completions.removeAll(keepingCapacity: true)
            try tier.wait(into: &completions, minimum: 1)
            let now = MonotonicClock.nanoseconds()
            for completion in completions {
                let lane = Int(completion.token)
                let row = laneRows[lane]
                guard case .load(.loaded(let byteCount)) = completion.outcome else {
                    throw DiskBenchmarkError(
                        description: "load of row \(row) failed: \(completion.outcome)")
                }
                let loaded = lanes + lane * blockBytes
                let expected = payloads + (row % pool) * blockBytes
                let stamp = loaded.load(as: UInt64.self)
                guard byteCount == blockBytes, stamp == UInt64(row),
                    PayloadGenerator.bytesEqual(
                        UnsafeRawBufferPointer(start: loaded + 8, count: blockBytes - 8),
                        UnsafeRawBufferPointer(start: expected + 8, count: blockBytes - 8))
                else {
                    throw DiskBenchmarkError(
                        description: "load of row \(row) returned wrong bytes (\(byteCount) "
                            + "bytes, stamp \(stamp))")
                }
                readLatencies.append(now - startTimes[row])
                freeLanes.append(lane)
                done += 1
            }
        }
        let readNanoseconds = MonotonicClock.nanoseconds() - readStart

        var report = DiskBenchmarkReport(
            layer: "tier", directory: options.directory, blockBytes: blockBytes,
            queueDepth: depth, totalBytes: options.totalBytes, blockCount: blockCount,
            directIO: tier.io.usesDirectIO, registeredBuffers: tier.usesRegisteredBuffers,
            writeNanoseconds: writeNanoseconds, syncNanoseconds: syncNanoseconds,
            readNanoseconds: readNanoseconds,
            writeLatency: ExactLatencyPercentiles(sorting: &writeLatencies),
            readLatency: ExactLatencyPercentiles(sorting: &readLatencies))
        report.compression = codec.description
        report.payload = payload.description
        report.rawBytes = UInt64(inspection.rawBytes)
        report.storedBytes = UInt64(inspection.storedBytes)
        report.diskBytes = UInt64(inspection.usedBytes)
        report.compressionRatio = inspection.compressionRatio
        report.verifiedRows = blockCount
        if directories.count > 1 {
            report.directories = [options.directory] + options.extraDirectories
            report.diskBytesPerDirectory = inspection.usedBytesPerFile.map { UInt64($0) }
        }
        if codec != .none {
            let stats = tier.stats
            report.encoderThreads = tier.encoderThreadCount
            report.blocksEncoded = stats.blocksEncoded
            report.blocksCompressed = stats.blocksCompressed
            report.blocksStoredRawBackpressure = stats.blocksStoredRawBackpressure
            report.bytesStoredRawBackpressure = UInt64(stats.bytesStoredRawBackpressure)
            report.estimatedBytesGivenUpBackpressure = UInt64(
                stats.estimatedBytesGivenUpBackpressure)
            report.blocksStoredRawIncompressible = stats.blocksStoredRawIncompressible
            report.estimatedBytesGivenUpIncompressible = UInt64(
                stats.estimatedBytesGivenUpIncompressible)
        }
        return report
    }
}
