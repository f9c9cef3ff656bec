// `spillway version`: build facts an operator pastes into a bug report.
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version and what this machine supports (io_uring, CRC32C path)."
    )

    func run() throws {
        print("spillway 0.1.0")
        print("io_uring: \(IOURingSupport.unavailableReason() ?? "available")")
        print("crc32c: \(CRC32C.isHardwareAccelerated ? "sse4.2" : "table")")
    }
}
