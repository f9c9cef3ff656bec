// `spillway region create`: create or join a region with a geometry and hold the mapping;
// options to fill and verify slots make it the worker process of multi-process tests.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct RegionCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create or join a shared offload region and hold the mapping.",
        discussion: """
            Holds the mapping until SIGINT/SIGTERM or --hold-seconds, then cleans up (the \
            creator unlinks the file). With --json every step prints one JSON object per line: \
            {"event":"ready",...} once mapped (and filled), {"event":"checksum",...} after \
            --checksum-after, {"event":"exit",...} at the end.
            """
    )

    @Option(help: "Instance id: the file is <dir>/vllm_offload_<id>.mmap.")
    var instanceID: String
    @Option(help: "B: rows (blocks).")
    var numBlocks: Int
    @Option(help: "M: worker slots per row.")
    var numWorkers: Int
    @Option(name: .customLong("cpu-page-size"), help: "P: bytes per worker slot.", transform: ByteCount.parse)
    var cpuPageBytes: ByteCount
    @Option(help: "This worker's slot; omit to open as the manager (whole region).")
    var rank: Int?
    @Option(
        help:
            "page-aligned (S = P*M rounded up to the page size; current vLLM) or seed (S = P*M; vLLM 0.22)."
    )
    var layout: SharedOffloadRegion.Layout = .pageAligned
    @Option(
        help:
            "Upper bound on backing files (vLLM 0.33's num_segments; its CPU offloading uses 32): one per full GiB at most."
    )
    var numSegments: Int = 1
    @Option(
        help:
            "A barrier through this directory (see docs/CLI.md): wait for --barrier-parties processes after mapping; the creator then unlinks the files."
    )
    var barrierDir: String?
    @Option(help: "Processes meeting at --barrier-dir.")
    var barrierParties: Int = 1
    @Option(
        help:
            "Creator memory check: refuse to create a region larger than this many bytes (joiners are not affected).",
        transform: ByteCount.parse)
    var memoryLimitBytes: ByteCount?
    @Option(help: "INDEX/COUNT: pre-fault only this share of the region (vLLM's populate_shard).")
    var populateShard: String?
    @Option(
        help:
            "worker (createNextView, this rank's slot) or canonical (createNextCanonicalView, shared by all workers)."
    )
    var view: RegionViewKind = .worker
    @Option(name: .customLong("region-dir"), help: "Directory of the region file.")
    var directory: String = "/dev/shm"
    @Option(help: "Seconds to hold the mapping; default: until SIGINT/SIGTERM.")
    var holdSeconds: Double?
    @Option(help: "Seconds a joiner waits for the creator to size the file.")
    var timeoutSeconds: Double = 30
    @Flag(
        help:
            "Arrive at the rendezvous after mapping: once all ranks and the manager have, the file is unlinked."
    )
    var rendezvous = false
    @Option(
        help: "Fill this rank's slots (or the canonical tensors) with the pattern of this seed.")
    var fillPattern: UInt64?
    @Option(
        help:
            "With --verify: the seed every filled byte must show, when this process does not fill (default: --fill-pattern)."
    )
    var expectPattern: UInt64?
    @Option(
        help:
            "Comma-separated rows to fill, checksum and verify (default: all); keeps a large sparse region sparse."
    )
    var fillRows: String?
    @Option(
        help: "Comma-separated tensor page sizes inside each slot (default: one tensor of P bytes)."
    )
    var tensorPageSizes: String?
    @Option(help: "Wait until this path exists before opening (a start barrier for races).")
    var startAfter: String?
    @Option(
        help:
            "Wait until this path exists, then print the CRC32C of the mapping (of --fill-rows only, when given)."
    )
    var checksumAfter: String?
    @Flag(
        help:
            "With --checksum-after: also check every rank's slots (or the canonical tensors) hold the pattern and the rest of each row is zero."
    )
    var verify = false
    @Flag(help: "Print events as JSON lines.")
    var json = false

    /// P in bytes.
    var cpuPageSize: Int { cpuPageBytes.int }

    /// The longest --hold-seconds / --timeout-seconds accepted (one year).
    static let secondsMax = 365.0 * 24 * 3600

    /// Checked before anything is created, so a bad value leaves no region file behind.
    func validate() throws {
        for (flag, value) in [("--hold-seconds", holdSeconds), ("--timeout-seconds", timeoutSeconds)] {
            guard let value else { continue }
            guard value.isFinite, value >= 0, value <= Self.secondsMax else {
                throw ValidationError(
                    "\(flag) must be a number of seconds in 0...\(Int(Self.secondsMax)) (got \(value))")
            }
        }
        guard cpuPageSize > 0 else { throw ValidationError("--cpu-page-size must be positive") }
        let tensors = try parseTensorSizes()
        var total = 0
        for size in tensors {
            let (sum, overflow) = total.addingReportingOverflow(size)
            guard !overflow, sum <= cpuPageSize else {
                throw ValidationError(
                    "--tensor-page-sizes \(tensorPageSizes ?? "") add up to more than --cpu-page-size \(cpuPageSize): the tensors of a worker slot must fit in it; lower the sizes or raise --cpu-page-size"
                )
            }
            total = sum
        }
    }

    func run() throws {
        TerminationSignals.block()
        let tensors = try parseTensorSizes()
        let shard = try parseShard()
        if let startAfter { waitForPath(startAfter) }
        let barrier = barrierDir.map { RegionFileBarrier(directory: $0, parties: barrierParties) }
        let region = try SharedOffloadRegion(
            instanceID: instanceID, numBlocks: numBlocks, rank: rank, numWorkers: numWorkers,
            cpuPageSize: cpuPageSize, layout: layout, directory: directory,
            timeout: timeoutSeconds, numSegments: numSegments, populateShard: shard,
            barrier: barrier.map { b in { try b.wait() } },
            creatorMemoryCheck: memoryLimitBytes.map(\.int).map { limit in
                { [instanceID, directory] bytes in
                    guard bytes <= limit else {
                        throw SharedOffloadRegionError.memoryLimit(
                            path: directory + "/" + InstanceID.fileName(for: instanceID),
                            requiredBytes: bytes, limitBytes: limit)
                    }
                }
            })
        let rows = try parseRows(numBlocks: region.numBlocks)
        // Arrive first: the rendezvous is about mapping, and a crash while filling must not
        // keep the file from being unlinked.
        var rendezvousState = "off"
        if rendezvous {
            switch try region.arriveAtRendezvous() {
            case .waiting(let arrived, let expected):
                rendezvousState = "waiting \(arrived)/\(expected)"
            case .completed: rendezvousState = "completed"
            case .alreadyUnlinked: rendezvousState = "already-unlinked"
            }
        }
        let pattern = RegionPatternRows(
            canonical: view == .canonical, tensors: tensors, rows: rows)
        if let seed = fillPattern {
            if pattern.canonical {
                try pattern.fill(region: region, seed: seed, rank: 0) {
                    try region.createNextCanonicalView(tensorPageSize: $0)
                }
            } else if let rank {
                try pattern.fill(region: region, seed: seed, rank: rank) {
                    try region.createNextView(tensorPageSize: $0)
                }
            }
        }
        try emit(
            RegionEvent.ready(
                instanceID: instanceID, path: region.path, isCreator: region.isCreator,
                rank: rank, pid: Int(ProcessInfo.processInfo.processIdentifier),
                rowStride: region.rowStride, numBlocks: region.numBlocks,
                fileSize: region.byteCount, layout: layout.argument,
                rendezvous: rendezvousState, segments: region.segments.map(\.path)),
            human:
                "\(region.isCreator ? "created" : "joined") \(region.path) \(region.geometry.summary) segments=\(region.segments.count) rank=\(rank.map(String.init) ?? "manager") rendezvous=\(rendezvousState)"
        )

        var failed = false
        if let checksumAfter {
            waitForPath(checksumAfter)
            let crc = pattern.checksum(region)
            var mismatches: Int?
            var human = "crc32c=\(crc)"
            if verify, let seed = expectPattern ?? fillPattern {
                let count = pattern.mismatchedBytes(region, seed: seed)
                mismatches = count
                human += " mismatchedBytes=\(count)"
                failed = count != 0
            }
            try emit(.checksum(crc32c: crc, mismatchedBytes: mismatches), human: human)
        }
        let signal = TerminationSignals.wait(timeoutSeconds: holdSeconds)
        region.cleanup()
        try emit(
            .exit(reason: signal.map { "signal \($0)" } ?? "hold-elapsed"),
            human: "released \(region.path)")
        if failed { throw ExitCode(2) }
    }

    private func parseShard() throws -> SharedOffloadRegion.PopulateShard? {
        guard let text = populateShard else { return nil }
        let parts = text.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let index = parts[0], let count = parts[1] else {
            throw ValidationError("--populate-shard must be INDEX/COUNT, e.g. 1/4, got \(text)")
        }
        return try SharedOffloadRegion.PopulateShard(index: index, count: count)
    }

    private func parseRows(numBlocks: Int) throws -> [Int] {
        guard let text = fillRows else { return Array(0..<numBlocks) }
        let rows = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !rows.isEmpty, rows.allSatisfy({ $0.map { (0..<numBlocks).contains($0) } ?? false })
        else {
            throw ValidationError(
                "--fill-rows must be row numbers in 0..<\(numBlocks) separated by commas")
        }
        return rows.map { $0! }
    }

    private func parseTensorSizes() throws -> [Int] {
        guard let text = tensorPageSizes else { return [cpuPageSize] }
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError(
                "--tensor-page-sizes must be positive integers separated by commas")
        }
        return sizes.map { $0! }
    }

    private func waitForPath(_ path: String) {
        while !FileManager.default.fileExists(atPath: path) { Thread.sleep(forTimeInterval: 0.001) }
    }

    /// One event line: JSON with --json, else `human`. A lost write (full device, closed
    /// pipe) is an error, never a trap.
    private func emit(_ event: RegionEvent, human: String) throws {
        if json {
            try JSONOutput.print(event)
        } else {
            try StandardOutput.write(Data((human + "\n").utf8))
        }
    }
}
