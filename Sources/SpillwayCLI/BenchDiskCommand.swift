// `spillway bench disk`: sequential writes then random reads of whole blocks on a disk
// directory, at a fixed queue depth; compare with fio via scripts/bench-compare.sh.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

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
            compression ratio; rates count raw row bytes. With a codec, rows are compressed \
            on --encoder-threads threads beside the submitting one and stored raw while they \
            are all busy (blocks_stored_raw_backpressure), so compression never slows the \
            stores; --encoder-threads 0 compresses every row on the submitting thread.

            --compare-compression (with --layer tier and a codec) runs the same tier with \
            codec none and with --compression, alternating which goes first, --runs times \
            for each payload kind of --payload (a comma-separated list here), and prints \
            both sides' rates, their ratio (median of the per-run ratios) and the capacity \
            gained (raw disk bytes / compressed disk bytes - 1).
            """
    )

    @Option(
        name: .customLong("disk-dir"),
        help: "Directory on the file system to measure (created 0700 if missing); with --layer tier, repeat it to stripe the tier over several (one per device).")
    var diskDirs: [String] = []

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

    @Option(
        help: "Row content of --layer tier (made before timing): random, bf16, zeros, mixed[:F]; a comma-separated list with --compare-compression.",
        transform: PayloadKindList.parse)
    var payload = PayloadKindList([.random])

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

    @Option(
        name: .customLong("encoder-threads"),
        help: "Compression threads of --layer tier beside the submitting one: auto (one per core but one, 1...4) or a number; 0 compresses inline.")
    var encoderThreads: String = "auto"

    @Flag(
        name: .customLong("compare-compression"),
        help: "Run --layer tier with codec none and with --compression, alternating, per payload kind.")
    var compareCompression = false

    @Option(help: "Runs per side and payload kind of --compare-compression.")
    var runs: Int = 3

    @Flag(name: .customLong("keep-file"), help: "Leave the benchmark file in --disk-dir.")
    var keepFile = false

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        try DiskCommandSupport.requireDirectories(diskDirs)
        if diskDirs.count > 1, layer != .tier {
            throw ValidationError("several --disk-dir need --layer tier (the io layer measures one file)")
        }
        let options = makeOptions()
        if let problem = options.problem() { throw ValidationError(problem) }
        guard compareCompression || payload.kinds.count == 1 else {
            throw ValidationError("--payload takes one kind (a list only with --compare-compression)")
        }
        if layer == .io, compression != .none || payload.kinds != [.random] {
            throw ValidationError("--compression and --payload apply to --layer tier only")
        }
        guard encoderThreadCount() != nil else {
            throw ValidationError("--encoder-threads \(encoderThreads): use auto or 0...64")
        }
        if compareCompression, layer != .tier || compression == .none || runs < 1 {
            throw ValidationError(
                "--compare-compression needs --layer tier, a --compression other than none and --runs 1 or more")
        }
    }

    func encoderThreadCount() -> Int? {
        if encoderThreads == "auto" { return DiskTierFactory.defaultEncoderThreads }
        guard let count = Int(encoderThreads), (0...64).contains(count) else { return nil }
        return count
    }

    func makeOptions() -> DiskBenchmarkOptions {
        var options = DiskBenchmarkOptions(
            directory: diskDirs.first ?? "", blockBytes: blockBytes.int, queueDepth: queueDepth,
            totalBytes: totalBytes.bytes,
            directIO: directIO, registeredBuffers: registeredBuffers, seed: seed, keepFile: keepFile
        )
        options.bufferBytesMax = bufferBytesMax.int
        options.extraDirectories = Array(diskDirs.dropFirst())
        return options
    }

    func run() throws {
        if compareCompression {
            try runComparison()
            return
        }
        let report: DiskBenchmarkReport
        switch layer {
        case .io: report = try RawIOBenchmark.run(makeOptions())
        case .tier:
            report = try TierBenchmark.run(
                makeOptions(), codec: compression, payload: payload.kinds[0],
                encoderThreads: encoderThreadCount()!)
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
        if let raw = report.blocksStoredRawBackpressure {
            print(
                "encode threads \(report.encoderThreads ?? 0)  compressed \(report.blocksCompressed ?? 0)"
                    + " of \(report.blocksEncoded ?? 0) encoded  stored raw (encoders busy) \(raw)"
                    + "  capacity given up ~\(report.estimatedBytesGivenUpBackpressure ?? 0) B"
                    + "  stored raw (not compressing) \(report.blocksStoredRawIncompressible ?? 0)")
        }
    }

    func runComparison() throws {
        let report = try TierCompressionComparison.run(
            makeOptions(), codec: compression, payloads: payload.kinds, runs: runs,
            encoderThreads: encoderThreadCount()!,
            progress: { run in
                let write = Int(run.writeBytesPerSecond / 1_048_576)
                let read = Int(run.readBytesPerSecond / 1_048_576)
                let raw = run.blocksStoredRawBackpressure ?? 0
                printError(
                    "\(run.payload ?? "?") \(run.compression ?? "?"): write \(write) MiB/s, "
                        + "read \(read) MiB/s, disk \(run.diskBytes ?? 0) B, stored raw (busy) \(raw)")
            })
        if json {
            try JSONOutput.print(report)
            return
        }
        print(
            "block \(report.blockBytes) B  qd \(report.queueDepth)  \(report.codec)  "
                + "encode threads \(report.encoderThreads)  runs \(report.runs)")
        print("payload   write ratio  read ratio  capacity gained  stored raw (busy) per run")
        for item in report.payloads {
            let name = item.payload.padding(toLength: 9, withPad: " ", startingAt: 0)
            let figures = String(
                format: " %11.3f  %10.3f  %14.1f%%  ", item.writeRatio, item.readRatio,
                item.capacityGained * 100)
            let raw = item.blocksStoredRawBackpressure.map(String.init).joined(separator: ", ")
            print(name + figures + raw + " of \(item.blockCount)")
        }
    }
}
