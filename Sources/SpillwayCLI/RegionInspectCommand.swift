// `spillway region inspect PATH`: one region's size, segment files, owner, sidecar geometry
// and users.
import ArgumentParser
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

struct RegionInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a region file: size, owner, age, sidecar geometry, live processes."
    )

    @Argument(help: "Path of a vllm_offload_<id>.mmap file or of one of its segments (.mmap.<i>).")
    var path: String
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        guard
            InstanceID.parse(fileName: name) != nil
                || InstanceID.parseSegment(fileName: name) != nil
        else {
            throw ValidationError("\(path) is not named vllm_offload_<id>.mmap[.<segment>]")
        }
        // A segment file shows the region it belongs to.
        guard
            let entry = try RegionInventory.list(directory: directory).first(where: {
                $0.path.hasSuffix("/" + name)
                    || $0.segments.contains { $0.path.hasSuffix("/" + name) }
            })
        else {
            throw ValidationError("\(path) does not exist")
        }
        if json {
            try JSONOutput.print(entry)
            return
        }
        print("path:        \(entry.path)")
        print("instance id: \(entry.instanceID)")
        print("state:       \(entry.state)\(entry.problem.map { " (\($0))" } ?? "")")
        print("size:        \(entry.sizeBytes) bytes in \(entry.segments.count + 1) file(s)")
        if entry.segmentIndex > 0 {
            print("segment:     \(entry.segmentIndex) of a region whose first file is gone")
        }
        for segment in entry.segments {
            let pids = segment.mappingPIDs.map(String.init).joined(separator: " ")
            print(
                "segment \(segment.index):   \(segment.path) \(segment.sizeBytes) bytes, mapped by: \(pids)"
                    + (segment.problem.map { " (\($0))" } ?? ""))
        }
        print("owner uid:   \(entry.ownerUID), mode \(entry.permissions)")
        print("age:         \(entry.ageSeconds) s since last modification")
        print("mapped by:   \(entry.mappingPIDs.map(String.init).joined(separator: " "))")
        if !entry.openPIDs.isEmpty {
            print("open by:     \(entry.openPIDs.map(String.init).joined(separator: " "))")
        }
        if let m = entry.metadata {
            print("geometry:    \(m.geometrySummary) fileSize=\(m.fileSize) pageSize=\(m.pageSize)")
            print("generation:  \(m.generation), created by pid \(m.creatorPID)")
            if !m.rendezvousArrivals.isEmpty {
                print(
                    "rendezvous:  \(m.rendezvousArrivals.joined(separator: " ")) of \(m.numWorkers) ranks + manager"
                )
            }
        } else {
            print("geometry:    unknown (no sidecar: created by vLLM or an older Spillway)")
        }
    }
}
