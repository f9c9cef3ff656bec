// A mutex with one condition variable (pthread), for a thread that sleeps until another
// hands it work or until work it waits for is done.
import Glibc

/// A pthread mutex and condition variable. `withLock` runs a closure holding the mutex;
/// inside it, `wait()` releases the mutex until `broadcast()` (spurious wake-ups happen:
/// callers wait in a loop on their own predicate).
package final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    package init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex.
    package func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Releases the mutex until woken; call only inside `withLock`.
    package func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Wakes every waiter.
    package func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
