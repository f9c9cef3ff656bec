// Whether the process's standard streams are terminals (progress lines only go to a tty).
import Glibc

/// Terminal facts about the standard streams.
package enum Terminal {
    /// True when standard error is a terminal (`isatty(2)`).
    package static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
