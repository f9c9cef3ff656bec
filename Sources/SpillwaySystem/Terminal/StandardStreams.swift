// The C standard output stream as the CLI needs it: flushed with its error flag read, so
// output `print` buffered and lost (a full device, a closed pipe) is never a silent success.
import CSpillwayURing

/// The C `stdout` stream, which Swift 6 code cannot name (it is shared mutable state).
package enum StandardStreams {
    /// Flushes `stdout`; false when the flush or an earlier buffered write failed.
    package static func flushStandardOutput() -> Bool { spw_stdout_flush() == 0 }
}
