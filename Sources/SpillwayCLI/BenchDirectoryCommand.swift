// `spillway bench directory`: block operations per second of the simulated replay and
// directory memory per block (scripts/bench-directory.sh compares with the Python LRU).
import ArgumentParser
import Foundation
import Logging
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

struct BenchDirectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory",
        abstract:
            "Block operations per second of the block directory + tiering engine replaying a trace.",
        discussion: """
            Replays --trace --repeats times in simulation (no bytes move), each on a fresh \
            directory, and reports the best time; one block operation is one block reference \
            replayed (lookup, promotion or store, touch, evictions). With --memory-blocks N, \
            also fills a directory of N blocks and reports its bytes per block. Prints JSON: \
            block_operations, seconds, block_ops_per_second, repeats, counters (the replay's \
            counters), and memory when asked.

            Example:
              spillway bench directory --trace traces/mooncake-synthetic.jsonl \\
                  --primary-blocks 1000 --disk-blocks 10000 --repeats 20 --memory-blocks 10000000
            """
    )

    @OptionGroup var options: BenchTraceOptions

    @Option(help: "Replays timed (the best is reported).")
    var repeats: Int = 5

    @Option(
        name: .customLong("memory-blocks"),
        help: "Also measure a directory of this many blocks (0: skip).")
    var memoryBlocks: Int = 0

    @Flag(
        help:
            "Print one JSON object on stdout (the default output is also JSON; kept for symmetry).")
    var json = false

    @OptionGroup var logging: LogOptions

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be >= 1 (got \(repeats))") }
        guard memoryBlocks >= 0, memoryBlocks <= 200_000_000 else {
            throw ValidationError("--memory-blocks must be in 0...200000000 (got \(memoryBlocks))")
        }
    }

    func run() throws {
        let logger = logging.bootstrap(label: "bench.directory")
        let parsed = try TraceFile.loadForCLI(options.trace)
        logger.info("bench directory: \(parsed.count) requests, \(repeats) repeats")
        let result = DirectoryBenchmark.replay(
            parsed, primaryBlocks: options.primaryBlocks, diskBlocks: options.diskBlocks,
            policy: options.policy,
            repeats: repeats)
        try JSONOutput.print(
            FlatJSON(
                result,
                BenchDirectoryMemory(
                    memory: memoryBlocks > 0 ? DirectoryBenchmark.memory(blocks: memoryBlocks) : nil)))
    }
}

/// `bench directory --json`'s `memory` (absent without --memory-blocks).
struct BenchDirectoryMemory: Encodable {
    var memory: DirectoryBenchmark.MemoryResult?
}
