// `spillway disk verify`: read every block of a disk tier through the verified load path
// and report verified / corrupt / unreadable blocks (and, with --pattern, wrong blocks).
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct DiskVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read and check every block of a disk tier.",
        discussion: """
            Opens the tier as a restart would (newest valid checkpoint; works on a tier left \
            by a crash) and reads every block it lists, checking header, key, sequence, \
            lengths and CRC32C. With --pattern KIND each block that passes is also compared \
            with the deterministic payload `spillway disk fill --payload KIND` wrote: \
            pattern_mismatch counts blocks that passed every check but hold other bytes (a \
            wrong block; always 0 unless Spillway is broken). Nothing is written to disk (a \
            read-only directory works; refused while a writer holds the tier). A corrupt \
            checkpoint is reported (corrupt_checkpoints) and the index rebuilt by scanning the \
            data file. Exit status 1 when pattern_mismatch > 0 or a checkpoint was corrupt, or \
            with --strict when any block is not verified.
            """
    )

    @Option(name: .customLong("disk-dir"), help: DiskCommandSupport.directoriesHelp)
    var diskDirs: [String] = []

    /// The tier's home directory (the first --disk-dir).
    var diskDir: String { diskDirs.first ?? "" }

    func validate() throws { try DiskCommandSupport.requireDirectories(diskDirs) }

    @Option(help: "Expected payload kind (mixed:F has F in 0...1).")
    var pattern: PayloadKind?

    @Option(name: .customLong("direct-io"), help: "O_DIRECT: required, auto, off.")
    var directIO: DirectIOMode = .auto

    @Flag(help: "Exit 1 when any block is corrupt or unreadable too.")
    var strict = false

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws {
        let expected = pattern
        for directory in diskDirs { try DiskCommandSupport.requireDirectory(directory) }
        let tier = try DiskCommandSupport.openReadOnly(diskDirs, queueDepth: 32, directIO: directIO)
        DiskCommandSupport.reportRecovery(tier)
        let report = try tier.verify(expected: expected)
        if json {
            let stats = tier.stats
            try JSONOutput.print(
                FlatJSON(
                    DiskRecoveryJSON(tier),
                    DiskVerifyJSON(
                        checkpointGeneration: tier.inspect().checkpointGeneration,
                        blocks: report.blocks, verified: report.verified, corrupt: report.corrupt,
                        unreadable: report.unreadable, patternMismatch: report.patternMismatch,
                        pattern: pattern?.description, checksumMismatch: stats.checksumMismatch,
                        keyMismatch: stats.keyMismatch, staleRecord: stats.staleRecord,
                        shortRead: stats.shortRead, ioError: stats.ioError)))
        } else {
            print(
                "blocks: \(report.blocks)  verified: \(report.verified)  corrupt: \(report.corrupt)  unreadable: \(report.unreadable)  pattern_mismatch: \(report.patternMismatch)"
            )
        }
        if report.patternMismatch > 0 || tier.recovery != nil
            || (strict && report.verified != report.blocks)
        {
            throw ExitCode(1)
        }
    }
}
