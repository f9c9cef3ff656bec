// `spillway bench sync`: sync time and index bytes of a large disk tier after 0.1%, 1% and
// 100% of its blocks changed, against a full checkpoint in the same run, and reopen time.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

struct BenchSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync cost by change and reopen time of a disk tier with many small blocks.",
        discussion: """
            Creates a tier in --disk-dir (which must not hold one), stores --blocks blocks of \
            --block-bytes, syncs (a full checkpoint: the reference every sync cost before the \
            index journal), then for each --fractions value rewrites that share of the blocks \
            and times one sync, reporting the index bytes it wrote and whether it appended a \
            journal batch or wrote a full checkpoint. Then closes, times a reopen, fills the \
            journal up to its compaction limit with 1% syncs, drops the tier without closing \
            and times the reopen that replays the journal. Prints one JSON object. The \
            directory is left behind (remove it).

            Example:
              spillway bench sync --disk-dir /tmp/spw-sync --blocks 1000000 --block-bytes 512
            """
    )

    @Option(
        name: .customLong("disk-dir"), help: "Directory for the tier (created; must not hold a tier).")
    var diskDir: String

    @Option(help: "Blocks stored (each takes one 4 KiB page with --block-bytes <= 3968).")
    var blocks: Int = 1_000_000

    @Option(name: .customLong("block-bytes"), help: "Bytes per block.", transform: ByteCount.parse)
    var blockByteCount = ByteCount(512)

    var blockBytes: Int { blockByteCount.int }

    @Option(help: "Comma-separated fractions of the blocks changed before each timed sync.")
    var fractions: String = "0.001,0.01,1"

    @Option(name: .customLong("queue-depth"), help: "io_uring queue depth.")
    var queueDepth: Int = 64

    @Flag(help: "Print one JSON object (the output is JSON either way).")
    var json = false

    func validate() throws {
        guard blocks >= 1, blocks <= 100_000_000 else {
            throw ValidationError("--blocks must be in 1...100000000 (got \(blocks))")
        }
        guard blockBytes >= 1 else { throw ValidationError("--block-bytes must be >= 1") }
        guard !parsedFractions.isEmpty, parsedFractions.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
            throw ValidationError("--fractions must be numbers in (0, 1], e.g. 0.001,0.01,1")
        }
    }

    var parsedFractions: [Double] {
        fractions.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    func run() throws {
        let report = try SyncBenchmark.run(
            directory: diskDir, blocks: blocks, blockBytes: blockBytes, fractions: parsedFractions,
            queueDepth: queueDepth)
        try JSONOutput.print(report)
    }
}
