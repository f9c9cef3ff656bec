// `spillway trace generate`: write a synthetic Mooncake JSONL trace with prefix sharing.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct TraceGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic Mooncake-format trace (JSONL), deterministic per seed.",
        discussion: """
            Shared system prompts, multi-turn sessions whose prompts grow turn by turn, Zipf \
            popularity of sessions and prompts. Defaults come from the configuration's trace.* \
            keys (file < env < flags); the same settings and seed give a byte-identical file.

            Example:
              spillway trace generate --requests 5000 --seed 7 --out /tmp/trace.jsonl
              spillway trace stats /tmp/trace.jsonl
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "Number of requests (trace.requests).") var requests: String?
    @Option(help: "PRNG seed (trace.seed).") var seed: String?
    @Option(help: "Number of multi-turn sessions (trace.sessions).") var sessions: String?
    @Option(help: "Number of shared system prompts (trace.system_prompts).") var systemPrompts:
        String?
    @Option(help: "Largest system prompt in blocks (trace.system_prompt_blocks).")
    var systemPromptBlocks: String?
    @Option(help: "Most new blocks per turn (trace.turn_blocks).") var turnBlocks: String?
    @Option(help: "Most answer blocks per turn (trace.output_blocks).") var outputBlocks: String?
    @Option(help: "Session context limit in blocks (trace.max_context_blocks).")
    var maxContextBlocks: String?
    @Option(help: "Zipf exponent of popularity, 0 = uniform (trace.zipf_exponent).")
    var zipfExponent: String?
    @Option(help: "Tokens per block (trace.block_tokens).") var blockTokens: String?
    @Option(help: "Mean gap between requests in ms (trace.mean_interarrival_ms).")
    var meanInterarrivalMs: String?

    @Option(
        name: .long, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    func run() throws {
        let flags: [(String?, String, String)] = [
            (requests, "trace.requests", "--requests"), (seed, "trace.seed", "--seed"),
            (sessions, "trace.sessions", "--sessions"),
            (systemPrompts, "trace.system_prompts", "--system-prompts"),
            (systemPromptBlocks, "trace.system_prompt_blocks", "--system-prompt-blocks"),
            (turnBlocks, "trace.turn_blocks", "--turn-blocks"),
            (outputBlocks, "trace.output_blocks", "--output-blocks"),
            (maxContextBlocks, "trace.max_context_blocks", "--max-context-blocks"),
            (zipfExponent, "trace.zipf_exponent", "--zipf-exponent"),
            (blockTokens, "trace.block_tokens", "--block-tokens"),
            (meanInterarrivalMs, "trace.mean_interarrival_ms", "--mean-interarrival-ms"),
        ]
        var overrides = try options.overrides()
        for case (let value?, let key, let flag) in flags {
            overrides.append(ConfigurationOverride(key: key, value: value, flag: flag))
        }
        let resolved = try ConfigurationLoader.load(filePath: options.config, overrides: overrides)
        for warning in resolved.warnings { printError("warning: \(warning)") }
        let text = TraceGenerator.jsonl(parameters: resolved.configuration.trace.generator)
        guard let out else {
            try StandardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CLIError(
                "cannot write trace to \(out) (\(error.localizedDescription)); check the directory exists and is writable"
            )
        }
        printError("wrote \(resolved.configuration.trace.generator.requests) requests to \(out)")
    }
}
