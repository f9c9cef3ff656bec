// What a data-mode replay measured beyond the counters: bytes moved, time, verification,
// load latency. Passed into ReplayReport to be rendered in the table and JSON.

/// Data-mode measurements of one replay (nothing here exists in simulation).
public struct ReplayDataFigures: Sendable, Equatable {
    /// Bytes written to the disk tier (raw block bytes, before compression).
    public var bytesWritten: UInt64
    /// Bytes read back from the disk tier into region rows (raw block bytes).
    public var bytesRead: UInt64
    /// Blocks whose bytes did not match their deterministic payload when checked.
    public var verifyFailures: Int
    /// Wall-clock seconds of the replay (trace parsing excluded).
    public var elapsedSeconds: Double
    /// Per-block load latency (disk record into a region row), when loads were timed.
    public var loadLatency: LatencySummary?

    public init(
        bytesWritten: UInt64, bytesRead: UInt64, verifyFailures: Int, elapsedSeconds: Double,
        loadLatency: LatencySummary? = nil
    ) {
        self.bytesWritten = bytesWritten
        self.bytesRead = bytesRead
        self.verifyFailures = verifyFailures
        self.elapsedSeconds = elapsedSeconds
        self.loadLatency = loadLatency
    }

    /// (bytes written + bytes read) / elapsed seconds; 0 when no time elapsed.
    public var bytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(bytesWritten + bytesRead) / elapsedSeconds : 0
    }
}
