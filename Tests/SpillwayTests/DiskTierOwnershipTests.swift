// One owner per tier, with real processes: a second writer is refused naming the holder's
// pid, readers are refused while a writer runs and share the tier otherwise, and read-only
// commands work on a directory nothing can be written to.
import Foundation
import Glibc
import Spillway
import SpillwayTesting
import Testing

/// A spawned `spillway` whose stderr is read line by line while it runs.
final class WatchedChild {
    let process = Process()
    private let errors = Pipe()
    private let output = Pipe()
    private var pending = Data()
    private(set) var errorText = ""

    init(_ arguments: [String]) throws {
        process.executableURL = try CLIProcess.executableURL()
        process.arguments = arguments
        process.standardError = errors
        process.standardOutput = output
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Reads stderr until a line contains `text`; false when stderr ended first.
    func waitForErrorLine(containing text: String) -> Bool {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                errorText += line + "\n"
                if line.contains(text) { return true }
                continue
            }
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { return false }
            pending.append(chunk)
        }
    }

    /// Waits for exit and returns the status (128 + signal when killed).
    func finish() -> Int32 {
        _ = output.fileHandleForReading.readDataToEndOfFile()
        errorText += String(decoding: pending, as: UTF8.self)
        errorText += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }
}

@Suite(
    "DiskTier ownership across processes",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct DiskTierOwnershipTests {
    static func fill(_ dir: String) -> [String] {
        ["disk", "fill", "--dir", dir, "--blocks", "3000", "--block-bytes", "4096", "--sync-every", "2"]
    }

    @Test("a second writer and a reader are refused while a writer runs, naming its pid")
    func oneWriter() throws {
        let directory = try TierDirectory(under: "/tmp")
        let writer = try WatchedChild(Self.fill(directory.path))
        #expect(writer.waitForErrorLine(containing: "synced"), "\(writer.errorText)")
        let second = try CLIExitCodeTests.run(Self.fill(directory.path))
        let reader = try CLIExitCodeTests.run(["disk", "verify", "--dir", directory.path])
        let writerStatus = writer.finish()
        #expect(writerStatus == 0, "\(writer.errorText)")
        #expect(second.status == 1, "second writer: \(second.stderr)")
        #expect(
            second.stderr.contains("is in use by pid \(writer.pid)"), "second writer: \(second.stderr)")
        #expect(reader.status == 1, "reader: \(reader.stderr)")
        #expect(
            reader.stderr.contains("is being written by pid \(writer.pid)"), "reader: \(reader.stderr)")
        // The tier holds exactly the first writer's blocks, all intact.
        let verify = try CLIExitCodeTests.run([
            "disk", "verify", "--dir", directory.path, "--strict", "--pattern", "bf16", "--json",
        ])
        #expect(verify.status == 0, "\(verify.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(object?["blocks"] as? Int == 3000 && object?["verified"] as? Int == 3000)
    }

    @Test("readers share a tier; a writer in this process is refused while they hold it")
    func readersShare() throws {
        let directory = try TierDirectory(under: "/tmp")
        let filled = try CLIExitCodeTests.run([
            "disk", "fill", "--dir", directory.path, "--blocks", "50", "--block-bytes", "4096",
        ])
        #expect(filled.status == 0, "\(filled.stderr)")
        var readOnly = DiskTierOptions()
        readOnly.readOnly = true
        let held = try DiskTierFactory.open(directory: directory.path, options: readOnly)
        #expect(held.blockCount == 50)
        let reader = try CLIExitCodeTests.run(["disk", "verify", "--dir", directory.path, "--strict"])
        #expect(reader.status == 0, "a second reader was refused: \(reader.stderr)")
        #expect {
            try DiskTierFactory.open(directory: directory.path, options: DiskTierOptions())
        } throws: { error in
            "\(error)".contains("is in use by pid \(getpid())")
        }
        try held.close()
        // Released: a writer may open it now.
        let writer = try DiskTierFactory.open(directory: directory.path, options: DiskTierOptions())
        try writer.close()
    }

    @Test("inspect and verify work on a tier nothing can be written to (chattr +i)")
    func readOnlyDirectory() throws {
        let directory = try TierDirectory(under: "/tmp")
        let filled = try CLIExitCodeTests.run([
            "disk", "fill", "--dir", directory.path, "--blocks", "20", "--block-bytes", "8192",
        ])
        #expect(filled.status == 0, "\(filled.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let paths = names.map { directory.path + "/" + $0 } + [directory.path]
        func chattr(_ flag: String) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            process.arguments = [flag] + paths
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard chattr("+i") == 0 else { return }  // no immutable flag here: nothing to test
        defer { _ = chattr("-i") }
        let verify = try CLIExitCodeTests.run([
            "disk", "verify", "--dir", directory.path, "--strict", "--pattern", "bf16",
        ])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("verified: 20"), "\(verify.stdout)")
        let inspect = try CLIExitCodeTests.run(["disk", "inspect", "--dir", directory.path, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == names)
    }
}
