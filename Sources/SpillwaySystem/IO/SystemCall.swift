// Small helpers for raw Glibc calls: bounded EINTR retry and errno text.
import Glibc

enum SystemCall {
    /// How many times a call interrupted by a signal (EINTR) is retried before the
    /// interruption is reported. 100 consecutive interruptions of one call means a signal
    /// storm the caller should hear about, not one to spin through forever.
    static let interruptRetryLimit = 100

    /// Runs `body` (a call returning -1 and setting errno on failure) until it does not fail
    /// with EINTR, at most `interruptRetryLimit` times. Returns its result; errno is set when
    /// the result is -1.
    static func retryingInterrupts<T: BinaryInteger>(_ body: () -> T) -> T {
        var result = body()
        var attempts = 1
        while result == -1 && errno == EINTR && attempts < interruptRetryLimit {
            result = body()
            attempts += 1
        }
        return result
    }

    /// The C library's text for `code` ("No space left on device").
    static func message(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
