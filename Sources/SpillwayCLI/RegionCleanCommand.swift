// `spillway region clean`: remove regions no live process maps (the /dev/shm leak after crashes).
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct RegionCleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove regions (and their sidecars) that no live process maps or holds open."
    )

    @Option(name: .customLong("region-dir"), help: "Directory to clean.")
    var directory: String = "/dev/shm"
    @Flag(help: "Only report what would be removed.")
    var dryRun = false
    @Flag(help: "Print one JSON object with the report.")
    var json = false

    func run() throws {
        let report = try RegionInventory.clean(directory: directory, dryRun: dryRun)
        if json {
            try JSONOutput.print(report)
            return
        }
        let verb = dryRun ? "would remove" : "removed"
        for path in report.removed { print("\(verb) \(path)") }
        for (path, reason) in report.kept.sorted(by: { $0.key < $1.key }) {
            print("kept \(path): \(reason)")
        }
        print("\(verb) \(report.removed.count) files, \(report.freedBytes) bytes")
    }
}
