// The JSON of `bench disk --layer tier --compare-compression`: per payload kind, the rates
// with the codec off and on (every run and the medians), their ratio, and the capacity won.
import Spillway
import SpillwayCore
import SpillwaySystem

/// What one comparison measured. Rates count raw row bytes; ratios are compressed / raw.
package struct TierCompressionReport: Codable, Sendable {
    package var blockBytes: Int
    package var queueDepth: Int
    package var totalBytes: UInt64
    package var codec: String
    /// Encode threads beside the submitting one (0: inline).
    package var encoderThreads: Int
    /// Runs per side and payload kind (alternating which side goes first).
    package var runs: Int
    package var payloads: [PayloadComparison]

    /// One payload kind: the tier without and with its codec.
    package struct PayloadComparison: Codable, Sendable {
        package var payload: String
        /// Write-phase rates (until the last store completed), every run, in order.
        package var writeBytesPerSecondOff: [Double]
        package var writeBytesPerSecondOn: [Double]
        package var readBytesPerSecondOff: [Double]
        package var readBytesPerSecondOn: [Double]
        /// Median over the runs of (compressed rate / raw rate) of the runs made together.
        package var writeRatio: Double
        package var readRatio: Double
        /// Median data-file bytes the rows took, raw and compressed.
        package var diskBytesOff: UInt64
        package var diskBytesOn: UInt64
        /// diskBytesOff / diskBytesOn − 1: how many more rows the same capacity holds.
        package var capacityGained: Double
        /// Per compressed run: rows the encoders took and kept compressed, rows stored raw
        /// because every encoder was busy, and the capacity that cost (estimated).
        package var blocksCompressed: [Int]
        package var blocksStoredRawBackpressure: [Int]
        package var estimatedBytesGivenUpBackpressure: [UInt64]
        /// Per compressed run: rows stored raw without an encode because the rows before
        /// them did not compress (the tier's compression gate).
        package var blocksStoredRawIncompressible: [Int]
        package var blockCount: Int

        init(payload: String, off: [DiskBenchmarkReport], on: [DiskBenchmarkReport]) {
            self.payload = payload
            writeBytesPerSecondOff = off.map(\.writeBytesPerSecond)
            writeBytesPerSecondOn = on.map(\.writeBytesPerSecond)
            readBytesPerSecondOff = off.map(\.readBytesPerSecond)
            readBytesPerSecondOn = on.map(\.readBytesPerSecond)
            writeRatio = Self.median(zip(writeBytesPerSecondOn, writeBytesPerSecondOff).map(/))
            readRatio = Self.median(zip(readBytesPerSecondOn, readBytesPerSecondOff).map(/))
            diskBytesOff = UInt64(Self.median(off.map { Double($0.diskBytes ?? 0) }))
            diskBytesOn = UInt64(Self.median(on.map { Double($0.diskBytes ?? 0) }))
            capacityGained = diskBytesOn > 0 ? Double(diskBytesOff) / Double(diskBytesOn) - 1 : 0
            blocksCompressed = on.map { $0.blocksCompressed ?? 0 }
            blocksStoredRawBackpressure = on.map { $0.blocksStoredRawBackpressure ?? 0 }
            estimatedBytesGivenUpBackpressure = on.map {
                $0.estimatedBytesGivenUpBackpressure ?? 0
            }
            blocksStoredRawIncompressible = on.map { $0.blocksStoredRawIncompressible ?? 0 }
            blockCount = on.first?.blockCount ?? 0
        }

        static func median(_ values: [Double]) -> Double {
            guard !values.isEmpty else { return 0 }
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }

        enum CodingKeys: String, CodingKey {
            case payload
            case writeBytesPerSecondOff = "write_bytes_per_second_off"
            case writeBytesPerSecondOn = "write_bytes_per_second_on"
            case readBytesPerSecondOff = "read_bytes_per_second_off"
            case readBytesPerSecondOn = "read_bytes_per_second_on"
            case writeRatio = "write_ratio"
            case readRatio = "read_ratio"
            case diskBytesOff = "disk_bytes_off"
            case diskBytesOn = "disk_bytes_on"
            case capacityGained = "capacity_gained"
            case blocksCompressed = "blocks_compressed"
            case blocksStoredRawBackpressure = "blocks_stored_raw_backpressure"
            case estimatedBytesGivenUpBackpressure = "estimated_bytes_given_up_backpressure"
            case blocksStoredRawIncompressible = "blocks_stored_raw_incompressible"
            case blockCount = "block_count"
        }
    }

    enum CodingKeys: String, CodingKey {
        case blockBytes = "block_bytes"
        case queueDepth = "queue_depth"
        case totalBytes = "total_bytes"
        case codec
        case encoderThreads = "encoder_threads"
        case runs, payloads
    }
}
