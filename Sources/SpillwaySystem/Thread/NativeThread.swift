// A plain pthread running one closure: the I/O thread of an offload tier, which must run
// whatever the caller's runtime (a Python interpreter holds no Swift executor).
import Glibc

/// A joinable thread that runs `body` once.
package final class NativeThread: @unchecked Sendable {
    private var handle = pthread_t()
    private var joined = false

    /// Starts the thread.
    /// - Throws: `NativeThreadError` when pthread_create fails.
    package init(_ body: @escaping @Sendable () -> Void) throws {
        let box = Unmanaged.passRetained(Box(body))
        let result = pthread_create(
            &handle, nil,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box.toOpaque())
        guard result == 0 else {
            box.release()
            throw NativeThreadError(errno: result)
        }
    }

    /// Waits for the thread to end (once; later calls return at once).
    package func join() {
        guard !joined else { return }
        joined = true
        pthread_join(handle, nil)
    }

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}

/// pthread_create failed.
package struct NativeThreadError: Error, CustomStringConvertible {
    package var errno: Int32
    package var description: String {
        "cannot start a thread: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
