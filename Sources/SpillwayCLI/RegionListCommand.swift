// `spillway region list`: every vllm_offload_*.mmap (with its segment files .mmap.<i>) in a
// directory, live or stale, from /proc.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct RegionListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List regions with size, owner, age and the live processes mapping them."
    )

    @Option(name: .customLong("region-dir"), help: "Directory to scan.")
    var directory: String = "/dev/shm"
    @Flag(help: "Print one JSON object: {\"directory\":..., \"regions\":[...]}.")
    var json = false

    func run() throws {
        let usage = ProcessFileUsage.scan()
        let regions = try RegionInventory.list(directory: directory, usage: usage)
        if json {
            struct Output: Encodable {
                var directory: String
                var regions: [RegionListing]
                var unreadableProcesses: Int
            }
            try JSONOutput.print(
                Output(
                    directory: directory, regions: regions,
                    unreadableProcesses: usage.unreadableProcessCount))
            return
        }
        if regions.isEmpty {
            print("no regions in \(directory)")
            return
        }
        print("STATE  SIZE        FILES OWNER  AGE      PIDS  INSTANCE")
        for r in regions {
            let pids = r.mappingPIDs.count + r.openPIDs.count
            let state = r.problem == nil ? r.state : "odd"
            print(
                "\(state.padding(toLength: 6, withPad: " ", startingAt: 0)) "
                    + "\(String(r.sizeBytes).padding(toLength: 11, withPad: " ", startingAt: 0)) "
                    + "\(String(r.segments.count + 1).padding(toLength: 5, withPad: " ", startingAt: 0)) "
                    + "\(String(r.ownerUID).padding(toLength: 6, withPad: " ", startingAt: 0)) "
                    + "\((String(r.ageSeconds) + "s").padding(toLength: 8, withPad: " ", startingAt: 0)) "
                    + "\(String(pids).padding(toLength: 5, withPad: " ", startingAt: 0)) \(r.instanceID)"
                    + (r.segmentIndex > 0 ? "  (orphaned segment \(r.segmentIndex))" : "")
                    + (r.problem.map { "  (\($0))" } ?? ""))
        }
        if usage.unreadableProcessCount > 0 {
            print(
                "note: \(usage.unreadableProcessCount) processes could not be inspected (run as root to see all)"
            )
        }
    }
}
