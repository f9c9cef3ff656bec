// `spillway trace`: generate synthetic Mooncake traces and measure any trace.
import ArgumentParser

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Generate Mooncake-format traces and print their statistics.",
        subcommands: [TraceGenerateCommand.self, TraceStatsCommand.self]
    )
}
