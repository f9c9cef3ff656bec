// The result of a disk benchmark run, shaped for `--json` (snake_case keys, one object).
import Spillway
import SpillwayCore
import SpillwaySystem

/// What a disk benchmark measured. `layer` says what was timed: "io" = the raw I/O backend
/// (URingIO requests, no checksums or records), "tier" = through the disk tier.
package struct DiskBenchmarkReport: Codable, Sendable {
    package var layer: String
    package var directory: String
    package var blockBytes: Int
    package var queueDepth: Int
    package var totalBytes: UInt64
    package var blockCount: Int
    package var directIO: Bool
    package var registeredBuffers: Bool
    /// Bytes written per second over the write phase (until the last write completed; the
    /// closing fdatasync is timed separately in `syncNanoseconds`).
    package var writeBytesPerSecond: Double
    /// Bytes written per second including the closing fdatasync.
    package var writeBytesPerSecondIncludingSync: Double
    /// Bytes read per second over the random-read phase.
    package var readBytesPerSecond: Double
    package var syncNanoseconds: UInt64
    package var writeLatency: ExactLatencyPercentiles
    package var readLatency: ExactLatencyPercentiles
    /// Layer "tier" only (absent for "io"): the codec asked for, the payload kind, and what
    /// the rows took on disk. Throughputs above count raw row bytes.
    package var compression: String?
    package var payload: String?
    /// Raw row bytes stored (what the rates count).
    package var rawBytes: UInt64?
    /// Payload bytes after the codec (blocks that did not shrink count raw).
    package var storedBytes: UInt64?
    /// Bytes of the data file held by the rows' extents (header + payload, whole pages).
    package var diskBytes: UInt64?
    /// rawBytes / storedBytes.
    package var compressionRatio: Double?
    /// Rows whose loaded bytes were compared with their payload and matched (all of them,
    /// or the run fails).
    package var verifiedRows: Int?
    /// Layer tier striped over several directories (absent with one): every directory
    /// (`directory` first) and the disk bytes of the rows in each.
    package var directories: [String]?
    package var diskBytesPerDirectory: [UInt64]?
    /// With a codec: encode threads beside the submitting one (0: inline), rows the encoders
    /// took (and kept compressed), rows stored raw because they were all busy, the disk
    /// bytes of those, and the capacity that cost (estimated, `DiskTierStats`).
    package var encoderThreads: Int?
    package var blocksEncoded: Int?
    package var blocksCompressed: Int?
    package var blocksStoredRawBackpressure: Int?
    package var bytesStoredRawBackpressure: UInt64?
    package var estimatedBytesGivenUpBackpressure: UInt64?
    /// Rows stored raw without an encode because the rows before them did not compress
    /// (the tier's compression gate), and the capacity that gave up (estimated).
    package var blocksStoredRawIncompressible: Int?
    package var estimatedBytesGivenUpIncompressible: UInt64?

    package init(
        layer: String, directory: String, blockBytes: Int, queueDepth: Int, totalBytes: UInt64,
        blockCount: Int, directIO: Bool, registeredBuffers: Bool, writeNanoseconds: UInt64,
        syncNanoseconds: UInt64, readNanoseconds: UInt64, writeLatency: ExactLatencyPercentiles,
        readLatency: ExactLatencyPercentiles
    ) {
        func rate(_ nanoseconds: UInt64) -> Double {
            nanoseconds == 0 ? 0 : Double(totalBytes) * 1e9 / Double(nanoseconds)
        }
        self.layer = layer
        self.directory = directory
        self.blockBytes = blockBytes
        self.queueDepth = queueDepth
        self.totalBytes = totalBytes
        self.blockCount = blockCount
        self.directIO = directIO
        self.registeredBuffers = registeredBuffers
        self.writeBytesPerSecond = rate(writeNanoseconds)
        self.writeBytesPerSecondIncludingSync = rate(writeNanoseconds + syncNanoseconds)
        self.readBytesPerSecond = rate(readNanoseconds)
        self.syncNanoseconds = syncNanoseconds
        self.writeLatency = writeLatency
        self.readLatency = readLatency
    }

    enum CodingKeys: String, CodingKey {
        case layer, directory, directories
        case diskBytesPerDirectory = "disk_bytes_per_directory"
        case blockBytes = "block_bytes"
        case queueDepth = "queue_depth"
        case totalBytes = "total_bytes"
        case blockCount = "block_count"
        case directIO = "direct_io"
        case registeredBuffers = "registered_buffers"
        case writeBytesPerSecond = "write_bytes_per_second"
        case writeBytesPerSecondIncludingSync = "write_bytes_per_second_including_sync"
        case readBytesPerSecond = "read_bytes_per_second"
        case syncNanoseconds = "sync_nanoseconds"
        case writeLatency = "write_latency"
        case readLatency = "read_latency"
        case compression, payload
        case rawBytes = "raw_bytes"
        case storedBytes = "stored_bytes"
        case diskBytes = "disk_bytes"
        case compressionRatio = "compression_ratio"
        case verifiedRows = "verified_rows"
        case encoderThreads = "encoder_threads"
        case blocksEncoded = "blocks_encoded"
        case blocksCompressed = "blocks_compressed"
        case blocksStoredRawBackpressure = "blocks_stored_raw_backpressure"
        case bytesStoredRawBackpressure = "bytes_stored_raw_backpressure"
        case estimatedBytesGivenUpBackpressure = "estimated_bytes_given_up_backpressure"
        case blocksStoredRawIncompressible = "blocks_stored_raw_incompressible"
        case estimatedBytesGivenUpIncompressible = "estimated_bytes_given_up_incompressible"
    }
}
