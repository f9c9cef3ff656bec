// `spillway bench disk`: sequential writes then random reads of whole blocks on a disk
// directory, at a fixed queue depth; compare with fio via scripts/bench-compare.sh.
import ArgumentParser
import Foundation
import Spillway

/// What `bench disk` times. Each layer adds its own work on top of the one below.
enum BenchDiskLayer: String, ExpressibleByArgument, CaseIterable {
    /// Raw I/O backend requests (URingIO): no checksums, no records. The fio-comparable
    /// floor.
    case io
    /// Through `DiskTier<URingIO>`: record headers, CRC32C, staging copies, the codec of
    /// --compression; every loaded row is compared with its payload.
    case tier
}

struct BenchDiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Write --bytes sequentially in --block-bytes blocks, fdatasync, then read "
            + "them back in random order, at --queue-depth requests in flight.",
        discussion: """
            Reports bytes per second for each phase and per-request latency percentiles (from \
            submission to reaped completion). Every read block is checked to be the block \
            asked for. The benchmark file is removed afterwards unless --keep-file. \
            --layer tier stores and loads the rows through the disk tier (record headers, \
            CRC32C, staging, --compression) in --disk-dir/spillway-bench-tier, compares every \
            loaded row with its payload, and also reports stored and on-disk bytes and the \
            compression ratio; rates count raw row bytes.
            """
    )

    @Option(
        name: .customLong("disk-dir"),
        help: "Directory on the file system to measure (created 0700 if missing).")
    var diskDir: String

    @Option(
        name: .customLong("block-bytes"), help: "Bytes per request (a multiple of 4096).",
        transform: ByteCount.parse)
    var blockBytes = ByteCount(256 << 10)

    @Option(name: .customLong("queue-depth"), help: "Requests in flight.")
    var queueDepth: Int = 32

    @Option(
        name: .customLong("bytes"), help: "Total bytes to write, then to read.",
        transform: ByteCount.parse)
    var totalBytes = ByteCount(1 << 30)

    @Option(
        help: "What to time: \(BenchDiskLayer.allCases.map(\.rawValue).joined(separator: ", ")).")
    var layer: BenchDiskLayer = .io

    @Option(help: "Codec of --layer tier.")
    var compression: DiskCodec = .none

    @Option(help: "Row content of --layer tier (made before timing); mixed:F has F in 0...1.")
    var payload: PayloadKind = .random

    @Option(
        name: .customLong("direct-io"),
        help: "O_DIRECT: required (fail without it), auto (fall back to buffered), off.")
    var directIO: DirectIOMode = .required

    @Flag(
        name: .customLong("registered-buffers"), inversion: .prefixedNo,
        help: "Register the I/O buffers with io_uring (fixed-buffer reads and writes).")
    var registeredBuffers = true

    @Option(help: "Seed of the random read order.")
    var seed: UInt64 = 1

    @Option(
        name: .customLong("buffer-bytes-max"),
        help: "Memory for in-flight buffers (and the tier's staging); the queue depth used is capped to fit.",
        transform: ByteCount.parse)
    var bufferBytesMax = ByteCount(DiskTierOptions.defaultStagingBytesMax)

    @Flag(name: .customLong("keep-file"), help: "Leave the benchmark file in --disk-dir.")
    var keepFile = false

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        let options = makeOptions()
        if let problem = options.problem() { throw ValidationError(problem) }
        if layer == .io, compression != .none || payload != .random {
            throw ValidationError("--compression and --payload apply to --layer tier only")
        }
    }

    func makeOptions() -> DiskBenchmarkOptions {
        var options = DiskBenchmarkOptions(
            directory: diskDir, blockBytes: blockBytes.int, queueDepth: queueDepth,
            totalBytes: totalBytes.bytes,
            directIO: directIO, registeredBuffers: registeredBuffers, seed: seed, keepFile: keepFile
        )
        options.bufferBytesMax = bufferBytesMax.int
        return options
    }

    func run() throws {
        let report: DiskBenchmarkReport
        switch layer {
        case .io: report = try RawIOBenchmark.run(makeOptions())
        case .tier:
            report = try TierBenchmark.run(
                makeOptions(), codec: compression, payload: payload)
        }
        if json {
            try JSONOutput.print(report)
            return
        }
        func rate(_ bytesPerSecond: Double) -> String {
            String(format: "%.1f MiB/s", bytesPerSecond / 1_048_576)
        }
        func micros(_ nanoseconds: UInt64) -> String {
            String(format: "%.0f us", Double(nanoseconds) / 1000)
        }
        print(
            "layer \(report.layer)  block \(report.blockBytes) B  qd \(report.queueDepth)  "
                + "\(report.blockCount) blocks  direct_io \(report.directIO)  "
                + "registered_buffers \(report.registeredBuffers)")
        print(
            "write  \(rate(report.writeBytesPerSecond))  (with fdatasync "
                + "\(rate(report.writeBytesPerSecondIncludingSync)))  p50 "
                + "\(micros(report.writeLatency.p50Nanoseconds))  p99 "
                + "\(micros(report.writeLatency.p99Nanoseconds))  p999 "
                + "\(micros(report.writeLatency.p999Nanoseconds))")
        print(
            "read   \(rate(report.readBytesPerSecond))  p50 "
                + "\(micros(report.readLatency.p50Nanoseconds))  p99 "
                + "\(micros(report.readLatency.p99Nanoseconds))  p999 "
                + "\(micros(report.readLatency.p999Nanoseconds))")
        if let ratio = report.compressionRatio, let disk = report.diskBytes {
            print(
                "tier   compression \(report.compression ?? "none")  payload "
                    + "\(report.payload ?? "?")  ratio \(String(format: "%.3f", ratio))  "
                    + "on disk \(disk) B  verified rows \(report.verifiedRows ?? 0)")
        }
    }
}
