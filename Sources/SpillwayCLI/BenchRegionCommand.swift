// `spillway bench region`: row copy bandwidth into and out of a shared region vs memcpy.
import ArgumentParser
import Foundation
import Logging
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTools

struct BenchRegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "region",
        abstract:
            "Row copy bandwidth into and out of a shared region, against memcpy between two private buffers.",
        discussion: """
            Creates a private region of --rows rows of --block-bytes in --region-dir (removed at the \
            end), then times three row-by-row copy loops of the same total size, best of \
            --passes each: private buffer -> region rows, region rows -> private buffer, and \
            the reference, private buffer -> private buffer. Ratios near 1.0 mean the shared \
            mapping costs nothing over ordinary memory. Every row read back is checked.

            Example:
              spillway bench region --rows 256 --block-bytes 1MiB --passes 5 --json
            """
    )

    @Option(help: "Rows in the region.")
    var rows: Int = 256

    @Option(
        name: .customLong("block-bytes"),
        help: "Bytes per row (a multiple of 4096).", transform: ByteCount.parse)
    var blockBytes = ByteCount(1 << 20)

    @Option(help: "Timed passes per copy direction (the best is reported).")
    var passes: Int = 5

    @Option(name: .customLong("region-dir"), help: "Directory of the region (a tmpfs, like /dev/shm).")
    var regionDir: String = "/dev/shm"

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var logging: LogOptions

    func options() throws -> RegionBenchmark.Options {
        RegionBenchmark.Options(
            rows: rows, blockBytes: blockBytes.int, passes: passes, directory: regionDir)
    }

    func validate() throws {
        if let problem = try options().problem() { throw ValidationError(problem) }
    }

    func run() throws {
        let logger = logging.bootstrap(label: "bench.region")
        let options = try options()
        logger.info(
            "bench region: \(options.rows) rows x \(options.blockBytes) bytes in \(options.directory), \(options.passes) passes"
        )
        let report: RegionBenchmark.Report
        do {
            report = try RegionBenchmark.run(options)
        } catch let error as SharedOffloadRegionError {
            throw CLIError("cannot create the benchmark region in \(regionDir): \(error)")
        }
        if json {
            try JSONOutput.print(report)
        } else {
            let mib = 1_048_576.0
            print(
                String(
                    format: "into region   %8.0f MiB/s  (%.2fx memcpy)",
                    report.intoRegionBytesPerSecond / mib, report.intoRatio))
            print(
                String(
                    format: "out of region %8.0f MiB/s  (%.2fx memcpy)",
                    report.outOfRegionBytesPerSecond / mib, report.outOfRatio))
            print(
                String(
                    format: "memcpy        %8.0f MiB/s  (private -> private, same size)",
                    report.memcpyBytesPerSecond / mib))
        }
    }
}
