// `spillway bench`: the benchmark group (each benchmark prints one JSON object with --json).
import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: measure a layer and print throughput and latency.",
        subcommands: [
            BenchDiskCommand.self,
            BenchRegionCommand.self,
            BenchCodecCommand.self,
            BenchDirectoryCommand.self,
            BenchSyncCommand.self,
            BenchReplayCommand.self,
            BenchDataModeCommand.self,
        ]
    )
}
