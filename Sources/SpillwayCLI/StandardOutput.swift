// Writing data to standard output so that a failed write (a full device, a closed pipe) is
// an error with exit status 1, never a success with the output lost.
import Foundation
import Glibc
import Spillway
import SpillwayCore
import SpillwaySystem

enum StandardOutput {
    /// Writes `data` to standard output (after anything `print` buffered).
    /// - Throws: `CLIError` saying the output could not be written.
    static func write(_ data: Data) throws {
        _ = StandardStreams.flushStandardOutput()
        do { try FileHandle.standardOutput.write(contentsOf: data) } catch {
            throw CLIError(
                "cannot write to standard output (\(error.localizedDescription)): free space on the device or redirect the output elsewhere"
            )
        }
    }

    /// Makes the process exit 1 with a message when what `print` buffered cannot be flushed
    /// at exit (e.g. `> /dev/full`): checked by an atexit handler, after the command ran.
    static func failExitOnLostOutput() {
        atexit {
            if !StandardStreams.flushStandardOutput() {
                let message = "Error: cannot write to standard output (\(String(cString: strerror(errno)))): free space on the device or redirect the output elsewhere\n"
                _ = message.withCString { Glibc.write(2, $0, strlen($0)) }
                _exit(1)
            }
        }
    }
}
