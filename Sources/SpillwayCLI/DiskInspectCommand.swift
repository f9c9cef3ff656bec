// `spillway disk inspect`: capacity, used bytes, blocks, codec mix and compression ratio of
// a disk tier, from its checkpoint (no block is read).
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct DiskInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract:
            "Show a disk tier's capacity, used bytes, blocks, codec mix and compression ratio.",
        discussion: """
            Reads only the newest valid checkpoint; changes nothing on disk (works on a \
            read-only directory, alongside other readers; refused while a writer holds the \
            tier). A corrupt checkpoint is reported on stderr and in corrupt_checkpoints, and \
            the index is rebuilt by scanning the data file (recovered_by_scan).
            """
    )

    @Option(name: .customLong("disk-dir"), help: DiskCommandSupport.directoriesHelp)
    var diskDirs: [String] = []

    /// The tier's home directory (the first --disk-dir).
    var diskDir: String { diskDirs.first ?? "" }

    func validate() throws { try DiskCommandSupport.requireDirectories(diskDirs) }

    @Option(name: .customLong("direct-io"), help: "O_DIRECT: required, auto, off.")
    var directIO: DirectIOMode = .auto

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws {
        for directory in diskDirs { try DiskCommandSupport.requireDirectory(directory) }
        let start = Date()
        let tier = try DiskCommandSupport.openReadOnly(diskDirs, queueDepth: 8, directIO: directIO)
        let openSeconds = Date().timeIntervalSince(start)
        let inspection = tier.inspect()
        DiskCommandSupport.reportRecovery(tier)
        if json {
            try JSONOutput.print(
                FlatJSON(
                    FlatJSON(
                        DiskInspectionJSON(inspection, directIO: tier.io.usesDirectIO),
                        DiskRecoveryJSON(tier)),
                    DiskInspectTiming(openSeconds: openSeconds)))
            return
        }
        print("directory:         \(diskDirs.joined(separator: ", "))")
        if inspection.usedBytesPerFile.count > 1 {
            print("used per directory: \(inspection.usedBytesPerFile.map(String.init).joined(separator: ", ")) bytes")
        }
        print("capacity:          \(inspection.capacityBytes) bytes")
        print("used:              \(inspection.usedBytes) bytes")
        print("blocks:            \(inspection.blocks)")
        let mix = DiskCodec.allCases.map { "\($0): \(inspection.blocksByCodec[$0] ?? 0)" }.joined(
            separator: ", ")
        print("codec mix:         \(mix)")
        print("raw / stored:      \(inspection.rawBytes) / \(inspection.storedBytes) bytes")
        print("compression ratio: \(String(format: "%.3f", inspection.compressionRatio))")
        print("checkpoint:        generation \(inspection.checkpointGeneration)")
        print("direct I/O:        \(tier.io.usesDirectIO ? "yes" : "no")")
        print(
            "open time:         \(String(format: "%.3f", openSeconds)) s (checkpoint read + index rebuild)"
        )
    }
}
