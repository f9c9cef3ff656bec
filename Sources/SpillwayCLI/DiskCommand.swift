// `spillway disk`: operate on a disk tier directory (inspect, verify, fill).
import ArgumentParser
import Foundation
import Spillway

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

    /// Prints `object` as one JSON object with sorted keys.
    static func printJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func inspectionObject(_ inspection: DiskTierInspection, directIO: Bool) -> [String: Any]
    {
        var codecs: [String: Any] = [:]
        for (codec, count) in inspection.blocksByCodec { codecs[codec.description] = count }
        return [
            "capacity_bytes": inspection.capacityBytes,
            "used_bytes": inspection.usedBytes,
            "blocks": inspection.blocks,
            "codec_mix": codecs,
            "raw_bytes": inspection.rawBytes,
            "stored_bytes": inspection.storedBytes,
            "compression_ratio": inspection.compressionRatio,
            "page_bytes": inspection.pageBytes,
            "checkpoint_generation": inspection.checkpointGeneration,
            "direct_io": directIO,
        ]
    }
}
