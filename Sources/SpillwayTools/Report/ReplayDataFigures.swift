// What a data-mode replay measured beyond the counters: bytes moved, time, verification,
// load latency. Passed into ReplayReport to be rendered in the table and JSON.
import Spillway
import SpillwayCore
import SpillwaySystem

/// Data-mode measurements of one replay (nothing here exists in simulation).
package struct ReplayDataFigures: Sendable, Equatable {
    /// Bytes of one block (a region row's worth of KV data).
    package var blockBytes: Int
    /// Block bytes copied into rows and spilled (raw, before compression).
    package var bytesWritten: Int
    /// Block bytes loaded from disk into rows (raw).
    package var bytesRead: Int
    /// Bytes the disk tier itself wrote / read (headers, page rounding, compression included).
    package var diskBytesWritten: Int
    package var diskBytesRead: Int
    /// Blocks whose bytes did not match their deterministic payload when checked.
    package var verifyFailures: Int
    /// Spills the disk tier refused or failed.
    package var spillFailures: Int
    /// Blocks the disk tier evicted on its own (its byte budget ran out before the block count).
    package var diskSelfEvictions: Int
    /// Wall-clock seconds of the replay (setup and trace parsing excluded).
    package var elapsedSeconds: Double
    /// Per-block load latency (disk record into a region row), when loads were timed.
    package var loadLatency: LatencySummary?
    /// Where the disk tier lived (table only), or nil.
    package var diskDirectory: String?

    package init(
        blockBytes: Int, bytesWritten: Int, bytesRead: Int, diskBytesWritten: Int = 0,
        diskBytesRead: Int = 0, verifyFailures: Int, spillFailures: Int = 0,
        diskSelfEvictions: Int = 0, elapsedSeconds: Double, loadLatency: LatencySummary? = nil,
        diskDirectory: String? = nil
    ) {
        self.blockBytes = blockBytes
        self.bytesWritten = bytesWritten
        self.bytesRead = bytesRead
        self.diskBytesWritten = diskBytesWritten
        self.diskBytesRead = diskBytesRead
        self.verifyFailures = verifyFailures
        self.spillFailures = spillFailures
        self.diskSelfEvictions = diskSelfEvictions
        self.elapsedSeconds = elapsedSeconds
        self.loadLatency = loadLatency
        self.diskDirectory = diskDirectory
    }

    /// (bytes written + bytes read) / elapsed seconds; 0 when no time elapsed.
    package var bytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(bytesWritten + bytesRead) / elapsedSeconds : 0
    }
}
