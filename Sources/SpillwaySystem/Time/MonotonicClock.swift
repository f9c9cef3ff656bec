// A cheap monotonic nanosecond clock for benchmarks and latency accounting.
import Glibc

/// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call).
package enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point; never goes backwards.
    @inline(__always)
    package static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
