// Spawning the built `spillway` binary as a real child process and reading its JSON lines.
import Foundation
import SpillwayTesting
import Glibc
import Spillway

/// A running `spillway` child with its stdout read line by line.
final class CLIProcess {
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private var buffer = Data()
    let arguments: [String]

    /// The `spillway` executable next to the test bundle (the built products directory),
    /// or `$SPILLWAY_BIN`. `swift build` must have run first (scripts/test.sh does).
    static func executableURL() throws -> URL {
        if let explicit = ProcessInfo.processInfo.environment["SPILLWAY_BIN"] {
            return URL(fileURLWithPath: explicit)
        }
        return try builtExecutable(named: "spillway")
    }

    /// A product of this package built next to the test bundle (`spillway`,
    /// `spillway-alloc-probe`), looked up in the bundle's directory and a few parents.
    static func builtExecutable(named name: String) throws -> URL {
        var candidates: [URL] = []
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            url = url.deletingLastPathComponent()
            candidates.append(url.appendingPathComponent(name))
        }
        candidates.append(
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        if let found = candidates.first(where: {
            FileManager.default.isExecutableFile(atPath: $0.path)
        }) {
            return found
        }
        throw CLIError(
            "no \(name) next to the tests (looked at \(candidates.map(\.path))): run `swift build` first"
        )
    }

    init(_ arguments: [String]) throws {
        self.arguments = arguments
        process.executableURL = try Self.executableURL()
        process.arguments = arguments
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// The next stdout line, or nil at end of output.
    func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return String(decoding: line, as: UTF8.self)
            }
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    /// The next stdout line parsed as a JSON object; fails with the child's stderr when the
    /// child ended instead.
    func readEvent() throws -> [String: Any] {
        guard let line = readLine() else {
            process.waitUntilExit()
            throw CLIError(
                "spillway \(arguments.joined(separator: " ")) ended (status \(process.terminationStatus)) without an event; stderr: \(stderrText())"
            )
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw CLIError("not a JSON object: \(line)")
        }
        return object
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for exit; returns the exit status (or 128 + signal).
    @discardableResult
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    func stderrText() -> String {
        String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Runs a command to completion: (status, stdout, stderr).
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String)
    {
        let child = try CLIProcess(arguments)
        let out = child.stdout.fileHandleForReading.readDataToEndOfFile()
        let err = child.stderrText()
        let status = child.wait()
        return (status, String(decoding: out, as: UTF8.self), err)
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Region-test conveniences on the shared scratch directory (in /dev/shm by default).
extension ScratchDirectory {
    func touch(_ name: String) {
        _ = FileManager.default.createFile(atPath: path + "/" + name, contents: Data())
    }
    /// Region-related files (vllm_offload_*), sorted.
    var regionFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
            $0.hasPrefix("vllm_offload_")
        }.sorted()
    }
}
