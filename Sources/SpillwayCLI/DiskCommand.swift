// `spillway disk`: operate on a disk tier directory (inspect, verify, fill).
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct DiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Inspect, verify or seed a disk tier directory.",
        subcommands: [DiskInspectCommand.self, DiskVerifyCommand.self, DiskFillCommand.self]
    )
}

/// Shared helpers of the disk subcommands.
enum DiskCommandSupport {
    /// Fails with a clear message when `dir` is not an existing directory (so read-only
    /// commands never create one).
    static func requireDirectory(_ dir: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw ValidationError(
                "no directory at \(dir): give the directory of an existing disk tier")
        }
    }

    /// Help of the repeatable `--disk-dir` of the commands that open a tier.
    static let directoriesHelp: ArgumentHelp =
        "The disk tier directory; repeat it for a tier striped over several (one per device): the home first, then the others in the order the tier was created with."

    /// Refuses a command line without `--disk-dir` (the option is repeatable, so the
    /// parser takes none as an empty list).
    static func requireDirectories(_ directories: [String]) throws {
        guard !directories.isEmpty else {
            throw ValidationError("Missing expected argument '--disk-dir <disk-dir>'")
        }
    }

    /// Opens an existing tier read-only (shared lock: refused while a writer holds the
    /// directory; nothing is created or written, so a read-only directory works).
    static func openReadOnly(_ directories: [String], queueDepth: Int, directIO: DirectIOMode)
        throws -> DiskTier<URingIO>
    {
        var options = DiskTierOptions()
        options.readOnly = true
        // A reader loads one block at a time at least: never refuse a tier for the budget.
        options.stagingBytesMax = Int.max
        return try DiskTierFactory.open(
            directories: directories, options: options, queueDepth: queueDepth,
            directIO: directIO)
    }

    /// Prints what the open recovered (a corrupt checkpoint, a scan) on stderr.
    static func reportRecovery<IO>(_ tier: DiskTier<IO>) {
        if let recovery = tier.recovery { printError("warning: \(recovery.summary)") }
    }
}
