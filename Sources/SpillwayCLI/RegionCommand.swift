// `spillway region`: operator commands for shared offload regions in /dev/shm.
import ArgumentParser

struct RegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "region",
        abstract:
            "Create, join, inspect, list and clean shared offload regions (vllm_offload_*.mmap).",
        subcommands: [
            RegionCreateCommand.self,
            RegionInspectCommand.self,
            RegionListCommand.self,
            RegionCleanCommand.self,
        ]
    )
}
