// `spillway bench codec`: compress/decompress speed and ratio of the disk tier's codecs for
// each payload kind; scripts/bench-codec.sh compares with `lz4 -b1` on the dumped bytes.
import ArgumentParser
import Foundation
import Logging
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract:
            "LZ4 compress/decompress speed and ratio per payload kind and codec (none, lz4, lz4-shuffle).",
        discussion: """
            Generates --blocks blocks of --block-bytes for each payload kind (the deterministic \
            payloads replays write), then encodes and decodes every block through the disk \
            tier's codec code (DiskCodec.encodePayload / decodePayload), best of --passes. \
            Speeds are raw bytes per second; ratio = raw / stored bytes. Every block is \
            checked to decode to its original bytes.

            --dump DIR writes each payload to DIR/payload-<kind>.bin, and its block-wise \
            byte-shuffled form to DIR/payload-<kind>.shuffled.bin, so `lz4 -b1` can run on \
            the same bytes (scripts/bench-codec.sh does this and prints the ratios).

            Example:
              spillway bench codec --block-bytes 256KiB --blocks 64 --json
              spillway bench codec --payloads bf16 --codecs lz4,lz4-shuffle --dump /tmp/payloads
            """
    )

    @Option(name: .customLong("block-bytes"), help: "Bytes per block (units like 256KiB accepted).")
    var blockBytes: String = "256KiB"

    @Option(help: "Blocks per payload kind.")
    var blocks: Int = 64

    @Option(help: "Timed passes per direction (the best is reported).")
    var passes: Int = 3

    @Option(help: "Comma-separated payload kinds: random, bf16, zeros, mixed, mixed:F.")
    var payloads: String = "bf16,random,mixed,zeros"

    @Option(help: "Comma-separated codecs: none, lz4, lz4-shuffle.")
    var codecs: String = "none,lz4,lz4-shuffle"

    @Option(help: "Also write each payload's bytes to DIR/payload-<kind>.bin.")
    var dump: String?

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var logging: LogOptions

    struct Parsed {
        var blockBytes: Int
        var kinds: [PayloadKind]
        var codecs: [DiskCodec]
    }

    func parsed() throws -> Parsed {
        guard let size = try? ByteSize.parse(blockBytes), size >= 1, size <= 64 << 20 else {
            throw ValidationError(
                "--block-bytes: '\(blockBytes)' must be a size from 1 byte to 64MiB (e.g. 262144, 256KiB)"
            )
        }
        var kinds: [PayloadKind] = []
        for name in payloads.split(separator: ",", omittingEmptySubsequences: false) {
            guard let kind = PayloadKind(parsing: String(name)) else {
                throw ValidationError(
                    "--payloads: '\(name)' is not a payload kind (random, bf16, zeros, mixed, mixed:F)"
                )
            }
            kinds.append(kind)
        }
        var list: [DiskCodec] = []
        for name in codecs.split(separator: ",", omittingEmptySubsequences: false) {
            guard let codec = DiskCodec(parsing: String(name)) else {
                throw ValidationError("--codecs: '\(name)' is not a codec (none, lz4, lz4-shuffle)")
            }
            list.append(codec)
        }
        return Parsed(blockBytes: Int(size), kinds: kinds, codecs: list)
    }

    func validate() throws {
        let parsed = try parsed()
        guard blocks >= 1 else { throw ValidationError("--blocks must be >= 1 (got \(blocks))") }
        guard passes >= 1 else { throw ValidationError("--passes must be >= 1 (got \(passes))") }
        guard parsed.blockBytes * blocks <= 4 << 30 else {
            throw ValidationError("--block-bytes x --blocks must be <= 4GiB")
        }
    }

    func run() throws {
        let logger = logging.bootstrap(label: "bench.codec")
        let parsed = try parsed()
        if let dump {
            do {
                try FileManager.default.createDirectory(
                    atPath: dump, withIntermediateDirectories: true)
                for kind in parsed.kinds {
                    let bytes = CodecBenchmark.payload(
                        kind: kind, blockBytes: parsed.blockBytes, blocks: blocks)
                    let path = dump + "/payload-\(kind).bin"
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    logger.info("wrote \(bytes.count) bytes to \(path)")
                    let shuffledPath = dump + "/payload-\(kind).shuffled.bin"
                    try Data(CodecBenchmark.shuffled(bytes, blockBytes: parsed.blockBytes))
                        .write(to: URL(fileURLWithPath: shuffledPath))
                }
            } catch {
                throw CLIError(
                    "cannot write payloads to \(dump): \(error.localizedDescription) (check the path and permissions)"
                )
            }
        }
        let report = CodecBenchmark.run(
            kinds: parsed.kinds, codecs: parsed.codecs, blockBytes: parsed.blockBytes,
            blocks: blocks,
            passes: passes)
        if json {
            try JSONOutput.print(report)
            return
        }
        print("payload  codec        ratio  compress MiB/s  decompress MiB/s")
        for r in report.results {
            print(
                r.payload.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
                    + r.codec.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + String(
                        format: " %6.3f  %14.0f  %16.0f", r.ratio,
                        r.compressBytesPerSecond / 1_048_576, r.decompressBytesPerSecond / 1_048_576
                    ))
        }
    }
}
