// The trace and capacities the trace-replaying benchmarks (`bench directory`, `bench replay`) share.
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

struct BenchTraceOptions: ParsableArguments {
    @Option(help: "Mooncake JSONL trace.")
    var trace: String

    @Option(name: .customLong("primary-blocks"), help: "Primary tier capacity in blocks.")
    var primaryBlocks: Int = 1000

    @Option(name: .customLong("disk-blocks"), help: "Disk tier capacity in blocks.")
    var diskBlocks: Int = 10000

    @Option(help: "spill or write-through.")
    var policy: TieringPolicy = .spill

    func validate() throws {
        guard primaryBlocks >= 1 else {
            throw ValidationError("--primary-blocks must be >= 1 (got \(primaryBlocks))")
        }
        guard diskBlocks >= 0 else {
            throw ValidationError("--disk-blocks must be >= 0 (got \(diskBlocks))")
        }
        guard primaryBlocks + diskBlocks <= 100_000_000 else {
            throw ValidationError("--primary-blocks + --disk-blocks must be <= 100000000")
        }
    }
}
