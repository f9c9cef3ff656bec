// `spillway region create`: create or join a region with a geometry and hold the mapping;
// options to fill and verify slots make it the worker process of multi-process tests.
import ArgumentParser
import Foundation
import Spillway

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
    @Option(help: "P: bytes per worker slot.")
    var cpuPageSize: Int
    @Option(help: "This worker's slot; omit to open as the manager (whole region).")
    var rank: Int?
    @Option(help: "seed (S = P*M) or page-aligned (S rounded up to the page size).")
    var layout: String = "seed"
    @Option(name: .customLong("dir"), help: "Directory of the region file.")
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
    @Option(help: "Fill this rank's slots through createNextView with the pattern of this seed.")
    var fillPattern: UInt64?
    @Option(
        help: "Comma-separated tensor page sizes inside each slot (default: one tensor of P bytes)."
    )
    var tensorPageSizes: String?
    @Option(help: "Wait until this path exists before opening (a start barrier for races).")
    var startAfter: String?
    @Option(help: "Wait until this path exists, then print the CRC32C of the whole mapping.")
    var checksumAfter: String?
    @Flag(
        help:
            "With --checksum-after and --fill-pattern: also check every rank's slots hold the pattern and padding is zero."
    )
    var verify = false
    @Flag(help: "Print events as JSON lines.")
    var json = false

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
        guard let layout = SharedOffloadRegion.Layout(argument: layout) else {
            throw ValidationError("--layout must be seed or page-aligned, got \(layout)")
        }
        let tensors = try parseTensorSizes()
        if let startAfter { waitForPath(startAfter) }
        let region = try SharedOffloadRegion(
            instanceID: instanceID, numBlocks: numBlocks, rank: rank, numWorkers: numWorkers,
            cpuPageSize: cpuPageSize, layout: layout, directory: directory,
            timeout: timeoutSeconds)
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
        if let seed = fillPattern, let rank {
            for (tensor, size) in tensors.enumerated() {
                let view = try region.createNextView(tensorPageSize: size)
                for block in 0..<view.count {
                    RegionFillPattern.fill(
                        view[block],
                        key: RegionFillPattern.key(
                            seed: seed, rank: rank, tensor: tensor, block: block))
                }
            }
        }
        emit(
            [
                "event": "ready", "instanceID": instanceID, "path": region.path,
                "isCreator": region.isCreator, "rank": rank.map { $0 as Any } ?? NSNull(),
                "pid": Int(ProcessInfo.processInfo.processIdentifier),
                "rowStride": region.rowStride,
                "numBlocks": region.numBlocks, "fileSize": region.byteCount,
                "layout": layout.argument, "rendezvous": rendezvousState,
            ],
            human:
                "\(region.isCreator ? "created" : "joined") \(region.path) \(region.geometry.summary) rank=\(rank.map(String.init) ?? "manager") rendezvous=\(rendezvousState)"
        )

        var failed = false
        if let checksumAfter {
            waitForPath(checksumAfter)
            let crc = region.withUnsafeMutableBytes { CRC32C.checksum(UnsafeRawBufferPointer($0)) }
            var event: [String: Any] = ["event": "checksum", "crc32c": Int(crc)]
            var human = "crc32c=\(crc)"
            if verify, let seed = fillPattern {
                let mismatches = verifyAllSlots(region, seed: seed, tensors: tensors)
                event["mismatchedBytes"] = mismatches
                human += " mismatchedBytes=\(mismatches)"
                failed = mismatches != 0
            }
            emit(event, human: human)
        }
        let signal = TerminationSignals.wait(timeoutSeconds: holdSeconds)
        region.cleanup()
        emit(
            ["event": "exit", "reason": signal == nil ? "hold-elapsed" : "signal \(signal!)"],
            human: "released \(region.path)")
        if failed { throw ExitCode(2) }
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

    /// Counts bytes that differ from what every rank wrote: pattern bytes in the tensor
    /// pages, zero in the rest of each slot and in the row padding.
    private func verifyAllSlots(_ region: SharedOffloadRegion, seed: UInt64, tensors: [Int]) -> Int
    {
        let view = region.createKVMemoryView()
        var mismatches = 0
        for block in 0..<view.count {
            let row = view[block]
            var expected = [UInt8](repeating: 0, count: row.count)
            for worker in 0..<region.numWorkers {
                var offset = worker * region.cpuPageSize
                for (tensor, size) in tensors.enumerated() {
                    let key = RegionFillPattern.key(
                        seed: seed, rank: worker, tensor: tensor, block: block)
                    for i in 0..<size {
                        expected[offset + i] = RegionFillPattern.byte(key: key, at: i)
                    }
                    offset += size
                }
            }
            for i in 0..<row.count where row[i] != expected[i] { mismatches += 1 }
        }
        return mismatches
    }

    private func waitForPath(_ path: String) {
        while !FileManager.default.fileExists(atPath: path) { Thread.sleep(forTimeInterval: 0.001) }
    }

    private func emit(_ object: [String: Any], human: String) {
        if json {
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            FileHandle.standardOutput.write(data + Data([0x0A]))
        } else {
            FileHandle.standardOutput.write(Data((human + "\n").utf8))
        }
    }
}
