// The `--json` documents of `spillway disk inspect | verify | fill` (keys in docs/CLI.md):
// Codable parts that each command combines into one flat object.
import Spillway
import SpillwayCore
import SpillwaySystem

/// How the open recovered: empty list / false / 0 when it was clean.
struct DiskRecoveryJSON: Encodable {
    var corruptCheckpoints: [String]
    var recoveredByScan: Int
    var scanned: Bool
    /// 1 when the open found the last sync cut by a crash (an incomplete last journal
    /// batch) and reopened at the sync before it, without a scan.
    var uncommittedSyncsDiscarded: Int

    init<IO>(_ tier: DiskTier<IO>) {
        corruptCheckpoints = tier.recovery?.corruptCheckpoints ?? []
        recoveredByScan = tier.recovery?.recoveredByScan ?? 0
        scanned = tier.recovery?.scanned ?? false
        uncommittedSyncsDiscarded = tier.stats.uncommittedSyncsDiscarded
    }

    enum CodingKeys: String, CodingKey {
        case corruptCheckpoints = "corrupt_checkpoints", recoveredByScan = "recovered_by_scan"
        case scanned, uncommittedSyncsDiscarded = "uncommitted_syncs_discarded"
    }
}

/// What `DiskTier.inspect()` says, plus whether the tier used O_DIRECT.
struct DiskInspectionJSON: Encodable {
    var capacityBytes: Int
    var usedBytes: Int
    var blocks: Int
    var codecMix: [String: Int]
    var rawBytes: Int
    var storedBytes: Int
    var compressionRatio: Double
    var pageBytes: Int
    var checkpointGeneration: UInt64
    var directIO: Bool
    /// Used bytes per data file (one per --disk-dir, the home's first).
    var usedBytesPerFile: [Int]

    init(_ inspection: DiskTierInspection, directIO: Bool) {
        capacityBytes = inspection.capacityBytes
        usedBytes = inspection.usedBytes
        blocks = inspection.blocks
        codecMix = Dictionary(
            uniqueKeysWithValues: inspection.blocksByCodec.map { ($0.key.description, $0.value) })
        rawBytes = inspection.rawBytes
        storedBytes = inspection.storedBytes
        compressionRatio = inspection.compressionRatio
        pageBytes = inspection.pageBytes
        checkpointGeneration = inspection.checkpointGeneration
        self.directIO = directIO
        usedBytesPerFile = inspection.usedBytesPerFile
    }

    enum CodingKeys: String, CodingKey {
        case capacityBytes = "capacity_bytes", usedBytes = "used_bytes", blocks
        case codecMix = "codec_mix", rawBytes = "raw_bytes", storedBytes = "stored_bytes"
        case compressionRatio = "compression_ratio", pageBytes = "page_bytes"
        case checkpointGeneration = "checkpoint_generation", directIO = "direct_io"
        case usedBytesPerFile = "used_bytes_per_file"
    }
}

/// Encodes two parts into one flat object (their keys must not overlap).
struct FlatJSON<First: Encodable, Second: Encodable>: Encodable {
    var first: First
    var second: Second

    init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    func encode(to encoder: any Encoder) throws {
        try first.encode(to: encoder)
        try second.encode(to: encoder)
    }
}

/// `disk inspect --json` beyond the inspection and the recovery.
struct DiskInspectTiming: Encodable {
    var openSeconds: Double
    enum CodingKeys: String, CodingKey { case openSeconds = "open_seconds" }
}

/// `disk verify --json` beyond the recovery: the verify report and the tier's read counters.
struct DiskVerifyJSON: Encodable {
    var checkpointGeneration: UInt64
    var blocks: Int
    var verified: Int
    var corrupt: Int
    var unreadable: Int
    var patternMismatch: Int
    /// The `--pattern` given (absent without one).
    var pattern: String?
    var checksumMismatch: Int
    var keyMismatch: Int
    var staleRecord: Int
    var shortRead: Int
    var ioError: Int

    enum CodingKeys: String, CodingKey {
        case checkpointGeneration = "checkpoint_generation", blocks, verified, corrupt, unreadable
        case patternMismatch = "pattern_mismatch", pattern, checksumMismatch = "checksum_mismatch"
        case keyMismatch = "key_mismatch", staleRecord = "stale_record", shortRead = "short_read"
        case ioError = "io_error"
    }
}

/// `disk fill --json` beyond the inspection after the fill: what the fill did.
struct DiskFillJSON: Encodable {
    var stored: Int
    var failed: Int
    /// Failed stores by reason.
    var failures: [String: Int]
    var evictions: Int
    var registeredBuffers: Bool
    var jobsInFlightMax: Int
    var seconds: Double
    var writeBytesPerSecond: Double
    var payloadBytesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case stored, failed, failures, evictions, registeredBuffers = "registered_buffers"
        case jobsInFlightMax = "jobs_in_flight_max", seconds
        case writeBytesPerSecond = "write_bytes_per_second"
        case payloadBytesPerSecond = "payload_bytes_per_second"
    }
}
