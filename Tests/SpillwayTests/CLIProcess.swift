// Spawning the built `spillway` binary as a real child process and reading its JSON lines.
import Foundation
import SpillwayTesting
import Glibc
import Spillway
import SpillwaySystem
import SpillwayCore

/// A running `spillway` child with its stdout read line by line.
final class CLIProcess {
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private var buffer = Data()
    let arguments: [String]

    /// The `spillway` executable this test build produced (see `builtExecutable`).
    /// `swift build` must have run first (scripts/test.sh does).
    static func executableURL() throws -> URL {
        try builtExecutable(named: "spillway")
    }

    #if DEBUG
        /// The build configuration of the running test bundle.
        static let configuration = "debug"
    #else
        static let configuration = "release"
    #endif

    /// The products directory of the running test bundle: the directory of its executable
    /// (`.build/<triple>/debug` for `swift test`, `.../release` for `swift test -c release`),
    /// which must be named after the configuration this bundle was compiled in.
    static func productsDirectory() throws -> URL {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map {
                URL(fileURLWithPath: $0)
            } ?? Bundle.main.executableURL
        guard let directory = executable?.deletingLastPathComponent() else {
            throw CLIError("cannot locate the running test bundle (/proc/self/exe, Bundle.main)")
        }
        guard directory.lastPathComponent.lowercased().hasPrefix(configuration) else {
            throw CLIError(
                "the test bundle runs from \(directory.path), not a \(configuration) products directory: run the tests with `swift test` after `swift build` of the same configuration"
            )
        }
        return directory
    }

    /// This package's modules linked into each executable product.
    static let productModules: [String: [String]] = [
        "spillway": [
            "SpillwayCLI", "Spillway", "SpillwaySystem", "SpillwayCore", "CSpillwayCompute",
            "CSpillwayURing",
        ],
        "spillway-alloc-probe": [
            "SpillwayAllocProbe", "SpillwayCore", "CSpillwayCompute", "CSpillwayMallocCount",
        ],
    ]

    /// A product of this package (`spillway`, `spillway-alloc-probe`) from the products
    /// directory of the running test bundle: the same build and configuration, never a binary
    /// found elsewhere. Fails naming the path when it is missing, or when it is stale: older
    /// than an object file of its modules (`swift test` recompiles the modules after an edit
    /// but does not relink the executables; `swift build` does).
    static func builtExecutable(named name: String) throws -> URL {
        let directory = try productsDirectory()
        let url = directory.appendingPathComponent(name)
        let build = "swift build\(configuration == "debug" ? "" : " -c release")"
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw CLIError(
                "no \(name) at \(url.path) (the \(configuration) products of this test build): run `\(build)` before `swift test` (scripts/test.sh does)"
            )
        }
        let files = FileManager.default
        let linked = try files.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
        for module in productModules[name] ?? [] {
            let objects = directory.appendingPathComponent("\(module).build")
            let contents = files.enumerator(atPath: objects.path)?.allObjects ?? []
            for case let file as String in contents where file.hasSuffix(".o") {
                let path = objects.appendingPathComponent(file).path
                let compiled = try? files.attributesOfItem(atPath: path)[.modificationDate] as? Date
                if let compiled, let linked, compiled > linked {
                    throw CLIError(
                        "\(url.path) is stale: \(path) was compiled after it was linked: run `\(build)` before `swift test` (scripts/test.sh does)"
                    )
                }
            }
        }
        return url
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
