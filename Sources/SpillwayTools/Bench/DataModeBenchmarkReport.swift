// The JSON of `spillway bench data-mode`: data-mode replays against fio on the same
// directory in the same run, as a fraction of the raw device speed.

/// What one `bench data-mode` measured. "Device seconds" are the seconds fio (sequential
/// O_DIRECT writes, then random reads, same block size) would take to move the bytes the
/// replay's disk tier moved; `deviceSpeedRatio` = device seconds / replay seconds (1.0: the
/// replay moves its bytes as fast as the raw device does). A run whose replay found a
/// data-path bug ends the series without fio (`measure`): its fio and device fields are null,
/// and the device-speed median is over the runs that have them (null when none has).
package struct DataModeBenchmarkReport: Codable, Sendable {
    package var trace: String
    package var primaryBlocks: Int
    package var diskBlocks: Int
    package var blockBytes: Int
    package var queueDepth: Int
    package var fioQueueDepth: Int
    package var payload: String
    package var compression: String
    package var runs: [Run]
    /// Medians over the runs.
    @NullWhenAbsent package var deviceSpeedRatio: Double?
    package var replaySeconds: Double
    package var replayCPUSeconds: Double

    /// One replay and the fio runs right after it.
    package struct Run: Codable, Sendable {
        package var replaySeconds: Double
        /// User + system CPU seconds of this process during the replay (setup included).
        package var replayUserSeconds: Double
        package var replaySystemSeconds: Double
        package var diskBytesWritten: Int
        package var diskBytesRead: Int
        package var verifyFailures: Int
        package var diskSelfEvictions: Int
        /// nil (null) when fio did not run after this replay (it found a data-path bug).
        @NullWhenAbsent package var fioWriteBytesPerSecond: Double? = nil
        @NullWhenAbsent package var fioReadBytesPerSecond: Double? = nil
        @NullWhenAbsent package var deviceSeconds: Double? = nil
        @NullWhenAbsent package var deviceSpeedRatio: Double? = nil

        /// A replay's figures; fio's rates come with `recordFio`.
        package init(
            replaySeconds: Double, replayUserSeconds: Double, replaySystemSeconds: Double,
            diskBytesWritten: Int, diskBytesRead: Int, verifyFailures: Int, diskSelfEvictions: Int
        ) {
            self.replaySeconds = replaySeconds
            self.replayUserSeconds = replayUserSeconds
            self.replaySystemSeconds = replaySystemSeconds
            self.diskBytesWritten = diskBytesWritten
            self.diskBytesRead = diskBytesRead
            self.verifyFailures = verifyFailures
            self.diskSelfEvictions = diskSelfEvictions
        }

        /// Adds fio's rates measured after the replay, and the device figures from them.
        package mutating func recordFio(writeBytesPerSecond: Double, readBytesPerSecond: Double) {
            fioWriteBytesPerSecond = writeBytesPerSecond
            fioReadBytesPerSecond = readBytesPerSecond
            let seconds =
                Double(diskBytesWritten) / max(writeBytesPerSecond, 1)
                + Double(diskBytesRead) / max(readBytesPerSecond, 1)
            deviceSeconds = seconds
            deviceSpeedRatio = replaySeconds > 0 ? seconds / replaySeconds : 0
        }

        enum CodingKeys: String, CodingKey {
            case replaySeconds = "replay_seconds"
            case replayUserSeconds = "replay_user_seconds"
            case replaySystemSeconds = "replay_system_seconds"
            case diskBytesWritten = "disk_bytes_written"
            case diskBytesRead = "disk_bytes_read"
            case verifyFailures = "verify_failures"
            case diskSelfEvictions = "disk_self_evictions"
            case fioWriteBytesPerSecond = "fio_write_bytes_per_second"
            case fioReadBytesPerSecond = "fio_read_bytes_per_second"
            case deviceSeconds = "device_seconds"
            case deviceSpeedRatio = "device_speed_ratio"
        }
    }

    package init(
        trace: String, primaryBlocks: Int, diskBlocks: Int, blockBytes: Int, queueDepth: Int,
        fioQueueDepth: Int, payload: String, compression: String, runs: [Run]
    ) {
        self.trace = trace
        self.primaryBlocks = primaryBlocks
        self.diskBlocks = diskBlocks
        self.blockBytes = blockBytes
        self.queueDepth = queueDepth
        self.fioQueueDepth = fioQueueDepth
        self.payload = payload
        self.compression = compression
        self.runs = runs
        let ratios = runs.compactMap(\.deviceSpeedRatio)
        deviceSpeedRatio = ratios.isEmpty ? nil : TierCompressionReport.PayloadComparison.median(ratios)
        replaySeconds = TierCompressionReport.PayloadComparison.median(runs.map(\.replaySeconds))
        replayCPUSeconds = TierCompressionReport.PayloadComparison.median(
            runs.map { $0.replayUserSeconds + $0.replaySystemSeconds })
    }

    enum CodingKeys: String, CodingKey {
        case trace
        case primaryBlocks = "primary_blocks"
        case diskBlocks = "disk_blocks"
        case blockBytes = "block_bytes"
        case queueDepth = "queue_depth"
        case fioQueueDepth = "fio_queue_depth"
        case payload, compression, runs
        case deviceSpeedRatio = "device_speed_ratio"
        case replaySeconds = "replay_seconds"
        case replayCPUSeconds = "replay_cpu_seconds"
    }

    /// Up to `count` runs: each calls `replay` (with the 1-based run number; it returns the
    /// replay's figures and, when the replay found a data-path bug, the message), then `fio`
    /// (write and read bytes per second) unless the replay found a bug. The first run with a
    /// bug ends the series without its fio run: the runs so far (that one last) come back
    /// with its message, for the caller to print and fail with.
    package static func measure(
        runs count: Int, replay: (Int) throws -> (run: Run, dataPathBug: String?),
        fio: () throws -> (write: Double, read: Double)
    ) rethrows -> (runs: [Run], dataPathBug: String?) {
        var runs: [Run] = []
        for number in 1...count {
            var (run, bug) = try replay(number)
            if let bug {
                runs.append(run)
                return (runs, bug)
            }
            let rates = try fio()
            run.recordFio(writeBytesPerSecond: rates.write, readBytesPerSecond: rates.read)
            runs.append(run)
        }
        return (runs, nil)
    }
}
