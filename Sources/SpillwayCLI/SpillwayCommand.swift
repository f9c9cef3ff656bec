// The `spillway` command: subcommands for regions, the disk tier, replay and benchmarks.
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

@main
struct SpillwayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spillway",
        abstract: "Tiered KV-cache offload store: shared /dev/shm region + io_uring disk tier.",
        subcommands: [
            RunCommand.self,
            VersionCommand.self,
            RegionCommand.self,
            ConfigCommand.self,
            TraceCommand.self,
            ReplayCommand.self,
            DiskCommand.self,
            BenchCommand.self,
        ]
    )

    /// ArgumentParser's entry point, after arranging that lost standard output (a full
    /// device, `> /dev/full`) fails the command with exit status 1.
    static func main() {
        StandardOutput.failExitOnLostOutput()
        main(nil)
    }
}
