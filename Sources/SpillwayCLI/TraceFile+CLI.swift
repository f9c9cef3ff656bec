// The CLI's door to the one trace loader: its errors become CLIError messages.
import Spillway
import SpillwayCore
import SpillwaySystem

extension TraceFile {
    /// `TraceFile.load`, failing with a `CLIError` that names the file (and the line).
    static func loadForCLI(_ path: String, skipBadLines: Bool = false) throws -> MooncakeTrace {
        do {
            return try load(path, skipBadLines: skipBadLines)
        } catch {
            throw CLIError(error.description)
        }
    }
}
