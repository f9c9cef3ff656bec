// `spillway disk fill`: store N deterministic blocks in a disk tier (creating it if needed),
// syncing every K blocks; used by operators to seed a tier and by the kill -9 test.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct DiskFillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill",
        abstract:
            "Store --blocks deterministic blocks (keys first-key, first-key+1, ...) in a disk tier.",
        discussion: """
            Block i has key i (8 big-endian bytes) and the deterministic payload of \
            (key, --block-bytes, --payload), so `spillway disk verify --pattern KIND` can \
            check it. After every --sync-every blocks (and at the end) the tier is synced and \
            a line `synced N` is printed on stderr: N blocks are then stored and durable (stores \
            that failed are not counted; their count and reasons follow in parentheses).
            """
    )

    @Option(
        name: .customLong("disk-dir"),
        help: "The disk tier directory (created 0700 if missing); repeat it to stripe a new tier over several (one per device), the home first.")
    var diskDirs: [String] = []

    @Option(help: "Blocks to store.")
    var blocks: Int

    @Option(name: .customLong("block-bytes"), help: "Bytes per block.", transform: ByteCount.parse)
    var blockByteCount: ByteCount

    @Option(name: .customLong("first-key"), help: "Key of the first block.")
    var firstKey: UInt64 = 0

    @Option(help: "Payload kind (mixed:F has F in 0...1).")
    var payload: PayloadKind = .bf16

    @Option(help: "Codec for new blocks.")
    var compression: DiskCodec = .none

    @Option(
        name: .customLong("sync-every"), help: "Sync after every K blocks (0: only at the end).")
    var syncEvery: Int = 0

    @Option(
        name: .customLong("capacity-bytes"),
        help: "Capacity when creating the tier (default: room for every block stored raw).",
        transform: ByteCount.parse)
    var capacityBytes: ByteCount?

    @Option(name: .customLong("queue-depth"), help: "io_uring queue depth (jobs in flight).")
    var queueDepth: Int = 32

    @Option(
        name: .customLong("staging-bytes-max"),
        help:
            "Memory for staging buffers (block + 128-byte header, rounded to 4 KiB, per job in flight); jobs are capped to fit.",
        transform: ByteCount.parse)
    var stagingBytesMax = ByteCount(DiskTierOptions.defaultStagingBytesMax)

    @Option(name: .customLong("direct-io"), help: "O_DIRECT: required, auto, off.")
    var directIO: DirectIOMode = .auto

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// `--block-bytes` as an Int (validated to 1...1 GiB).
    var blockBytes: Int { blockByteCount.int }

    func validate() throws {
        try DiskCommandSupport.requireDirectories(diskDirs)
        guard blocks >= 0 else { throw ValidationError("--blocks must be >= 0") }
        guard blockBytes > 0, blockBytes <= 1 << 30 else {
            throw ValidationError("--block-bytes must be in 1...1 GiB")
        }
        guard syncEvery >= 0 else { throw ValidationError("--sync-every must be >= 0") }
        guard stagingBytesMax.bytes > 0 else {
            throw ValidationError("--staging-bytes-max must be > 0")
        }
        guard (1...4096).contains(queueDepth) else {
            throw ValidationError("--queue-depth must be in 1...4096")
        }
    }

    /// A failed store's reason in a word: `tooLarge`, `noRoom`, `ioError(errno: 5)`, ...
    static func reason(_ outcome: DiskJobOutcome) -> String {
        if case .store(.failed(let failure)) = outcome { return "\(failure)" }
        return "\(outcome)"
    }

    func run() throws {
        let kind = payload
        let codec = compression
        let extentBytes =
            (DiskRecordHeader.byteCount + blockBytes + DiskLayout.pageBytes - 1)
            / DiskLayout.pageBytes * DiskLayout.pageBytes
        let (needed, overflow) = blocks.multipliedReportingOverflow(by: extentBytes)
        if capacityBytes == nil && overflow {
            throw CLIError(
                "--blocks \(blocks) of \(blockBytes) bytes do not fit any disk: lower --blocks or give --capacity-bytes"
            )
        }
        var options = DiskTierOptions(
            // Striped: each directory gets an equal share, room for its share of the blocks.
            capacityBytes: capacityBytes?.int
                ?? max(DiskLayout.pageBytes, needed + (diskDirs.count - 1) * extentBytes),
            blockByteCountMax: blockBytes, codec: codec, jobCountMax: queueDepth,
            reservedBlockCount: max(1024, min(blocks, 1 << 20)))
        options.stagingBytesMax = stagingBytesMax.int
        let tier = try DiskTierFactory.open(
            directories: diskDirs, options: options, queueDepth: queueDepth, directIO: directIO)
        DiskCommandSupport.reportRecovery(tier)
        var evictions = 0
        tier.evictionHandler = { _ in evictions += 1 }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockBytes, alignment: 4096)
        defer { buffer.deallocate() }
        var completions: [DiskCompletion] = []
        completions.reserveCapacity(queueDepth * 2)
        var stored = 0
        var failed = 0
        var failures: [String: Int] = [:]
        func take() {
            for completion in completions {
                if case .store(.stored) = completion.outcome {
                    stored += 1
                } else {
                    failed += 1
                    failures[Self.reason(completion.outcome), default: 0] += 1
                }
            }
            completions.removeAll(keepingCapacity: true)
        }
        /// `synced N`: N blocks are stored and durable (failed stores are not counted).
        func reportSynced() {
            let reasons = failures.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            let suffix =
                failed > 0 ? " (\(failed) not stored: \(reasons.joined(separator: ", ")))" : ""
            FileHandle.standardError.write(Data("synced \(stored)\(suffix)\n".utf8))
        }
        let start = Date()
        var payloadNanoseconds: UInt64 = 0
        for index in 0..<blocks {
            let key = BlockKey(traceID: firstKey &+ UInt64(index))
            let payloadStart = DispatchTime.now().uptimeNanoseconds
            PayloadGenerator.fill(buffer, key: key, kind: kind)
            payloadNanoseconds += DispatchTime.now().uptimeNanoseconds - payloadStart
            while !tier.submitStore(
                key: key, bytes: UnsafeRawBufferPointer(buffer), token: UInt64(index))
            {
                try tier.wait(into: &completions, minimum: 1)
                take()
            }
            if syncEvery > 0, (index + 1) % syncEvery == 0 {
                try tier.sync()
                try tier.poll(into: &completions)
                take()
                reportSynced()
            }
        }
        try tier.waitForAll(into: &completions)
        take()
        try tier.sync()
        reportSynced()
        let seconds = Date().timeIntervalSince(start)
        let inspection = tier.inspect()
        let directIOUsed = tier.io.usesDirectIO
        let registered = tier.usesRegisteredBuffers
        let jobs = tier.jobCapacity
        try tier.close()
        if json {
            try JSONOutput.print(
                FlatJSON(
                    DiskInspectionJSON(inspection, directIO: directIOUsed),
                    DiskFillJSON(
                        stored: stored, failed: failed, failures: failures, evictions: evictions,
                        registeredBuffers: registered, jobsInFlightMax: jobs, seconds: seconds,
                        writeBytesPerSecond: seconds > 0
                            ? Double(stored * blockBytes) / seconds : 0,
                        payloadBytesPerSecond: payloadNanoseconds > 0
                            ? Double(blocks * blockBytes) * 1e9 / Double(payloadNanoseconds) : 0)))
        } else {
            print(
                "stored \(stored) blocks (\(failed) failed, \(evictions) evicted) in \(String(format: "%.3f", seconds)) s; tier holds \(inspection.blocks) blocks, ratio \(String(format: "%.3f", inspection.compressionRatio))"
            )
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
