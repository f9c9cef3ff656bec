// Probe for io_uring on this kernel, so callers and tests can skip with a reason.
import CSpillwayURing

public enum IOURingSupport {
    /// nil when io_uring works here; otherwise the reason it does not.
    public static func unavailableReason() -> String? {
        var error: Int32 = 0
        if spw_uring_available(&error) != 0 { return nil }
        return "io_uring_queue_init failed with errno \(error)"
    }
}
