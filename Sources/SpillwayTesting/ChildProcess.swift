// Runs a child process to completion and collects its exit status and output, for tests that
// spawn the reference script (python3) or the built binaries.
import Foundation

/// The result of `ChildProcess.run`.
package struct ChildProcessResult: Sendable {
    package let status: Int32
    package let stdout: Data
    package let stderr: String
}

package enum ChildProcess {
    /// Runs `executable` with `arguments` to completion (stderr is drained concurrently, so a
    /// chatty child cannot block). `environment` nil inherits this process's environment.
    package static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> ChildProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let drained = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var err = Data()
        DispatchQueue.global().async {
            err = stderr.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return ChildProcessResult(
            status: process.terminationStatus, stdout: out,
            stderr: String(decoding: err, as: UTF8.self))
    }
}
