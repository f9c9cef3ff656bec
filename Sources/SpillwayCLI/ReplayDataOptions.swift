// The `--data` options of `spillway replay`: a real shared region and disk tier move bytes.
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

/// Data-mode options of `spillway replay` (an option group, so the command keeps one line
/// for them).
struct ReplayDataOptions: ParsableArguments {
    @Flag(
        name: .long,
        help:
            "Move real bytes: a shared region in /dev/shm and a disk tier, payload checked on every promotion."
    )
    var data = false

    @Option(
        name: .customLong("block-bytes"),
        help: "With --data: bytes per block (row). Multiples of 4096 keep rows O_DIRECT aligned.",
        transform: ByteCount.parse)
    var blockByteCount = ByteCount(256 << 10)

    @Option(
        name: .customLong("disk-dir"),
        help: "With --data: disk tier directory (default: a fresh temp dir under /tmp); repeat it to stripe the tier over several (one per device), the home first.")
    var diskDirs: [String] = []

    /// The tier's home (the first --disk-dir), or nil for a temporary directory.
    var diskDir: String? { diskDirs.first }

    @Flag(name: .long, help: "With --data: keep the disk tier (synced) and its directory.")
    var keep = false

    @Option(name: .long, help: "With --data: codec of spilled blocks.")
    var compression: DiskCodec = .none

    @Option(
        name: .long,
        help: "With --data: payload written per block (mixed:F has F in 0...1).")
    var payload: PayloadKind = .random

    @Option(name: .long, help: "With --data: io_uring queue depth (disk jobs in flight).")
    var queueDepth: Int = 64

    @Option(name: .long, help: "With --data: O_DIRECT (required fails without it).")
    var directIO: DirectIOMode = .auto

    @Option(
        name: .long,
        help: "With --data --keep: sync the tier after every N block stores (0: only at the end), so both checkpoint slots hold recent state.")
    var syncEvery: Int = 64

    /// `--block-bytes` as an Int (validated to 1...64 MiB).
    var blockBytes: Int { blockByteCount.int }

    func validate() throws {
        guard data else {
            let given =
                blockBytes != 256 << 10 || diskDir != nil || keep || compression != .none
                || payload != .random || queueDepth != 64 || directIO != .auto
                || syncEvery != 64
            if given {
                throw ValidationError(
                    "--block-bytes, --disk-dir, --keep, --compression, --payload, --queue-depth, --direct-io and --sync-every need --data"
                )
            }
            return
        }
        guard blockBytes >= 1, blockBytes <= 64 << 20 else {
            throw ValidationError("--block-bytes must be in 1...67108864 (got \(blockBytes))")
        }
        guard (1...4096).contains(queueDepth) else {
            throw ValidationError("--queue-depth must be in 1...4096 (got \(queueDepth))")
        }
        guard (0...1_000_000).contains(syncEvery) else {
            throw ValidationError("--sync-every must be in 0...1000000 (got \(syncEvery))")
        }
    }
}
