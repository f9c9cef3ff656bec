// `spillway bench region`: row copy bandwidth into and out of a shared region vs memcpy.
import ArgumentParser
import Foundation
import Logging
import Spillway

struct BenchRegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "region",
        abstract:
            "Row copy bandwidth into and out of a shared region, against memcpy between two private buffers.",
        discussion: """
            Creates a private region of --rows rows of --row-bytes in --dir (removed at the \
            end), then times three row-by-row copy loops of the same total size, best of \
            --passes each: private buffer -> region rows, region rows -> private buffer, and \
            the reference, private buffer -> private buffer. Ratios near 1.0 mean the shared \
            mapping costs nothing over ordinary memory. Every row read back is checked.

            Example:
              spillway bench region --rows 256 --row-bytes 1MiB --passes 5 --json
            """
    )

    @Option(help: "Rows in the region.")
    var rows: Int = 256

    @Option(
        name: .customLong("row-bytes"),
        help: "Bytes per row (a multiple of 4096; units like 1MiB accepted).")
    var rowBytes: String = "1MiB"

    @Option(help: "Timed passes per copy direction (the best is reported).")
    var passes: Int = 5

    @Option(help: "Directory of the region (a tmpfs, like /dev/shm).")
    var dir: String = "/dev/shm"

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var logging: LogOptions

    func options() throws -> RegionBenchmark.Options {
        guard let parsed = try? ByteSize.parse(rowBytes) else {
            throw ValidationError(
                "--row-bytes: '\(rowBytes)' is not a size (e.g. 262144, 256KiB, 1MiB)")
        }
        return RegionBenchmark.Options(
            rows: rows, rowBytes: Int(parsed), passes: passes, directory: dir)
    }

    func validate() throws {
        if let problem = try options().problem() { throw ValidationError(problem) }
    }

    func run() throws {
        let logger = logging.bootstrap(label: "bench.region")
        let options = try options()
        logger.info(
            "bench region: \(options.rows) rows x \(options.rowBytes) bytes in \(options.directory), \(options.passes) passes"
        )
        let report: RegionBenchmark.Report
        do {
            report = try RegionBenchmark.run(options)
        } catch let error as SharedOffloadRegionError {
            throw CLIError("cannot create the benchmark region in \(dir): \(error)")
        }
        if json {
            print(try BenchJSON.text(report))
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

/// One sorted-keys JSON line for a benchmark report.
enum BenchJSON {
    static func text<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
