// Waiting for SIGINT/SIGTERM synchronously, so a CLI holding a mapping can clean up first.
import Glibc

/// Turns SIGINT and SIGTERM into something the main thread waits for instead of dying.
package enum TerminationSignals {
    /// Blocks SIGINT and SIGTERM in the calling thread (call first, before other threads
    /// start, so they inherit the mask); the signals stay pending until `wait` takes them.
    package static func block() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits up to `timeoutSeconds` (forever when nil) for SIGINT or SIGTERM.
    /// - Returns: the signal number, or nil when the time ran out.
    package static func wait(timeoutSeconds: Double?) -> Int32? {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        guard let timeoutSeconds else {
            var signal: Int32 = 0
            while sigwait(&set, &signal) != 0 {}
            return signal
        }
        let deadline = ContinuousClock.now.advanced(
            by: .milliseconds(Int64(max(0, timeoutSeconds) * 1000)))
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return nil }
            let c = left.components
            var ts = timespec(tv_sec: Int(c.seconds), tv_nsec: Int(c.attoseconds / 1_000_000_000))
            let signal = sigtimedwait(&set, nil, &ts)
            if signal > 0 { return signal }
            if errno == EAGAIN { return nil }
            // EINTR: another signal arrived; wait again for the remaining time.
        }
    }
}
