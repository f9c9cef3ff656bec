// One in-flight store or load of the disk tier: its caller, extent and transfer progress.

/// A preallocated job slot; the job's index is the `userData` of its I/O requests.
struct DiskJob {
    enum Kind: UInt8 {
        case idle
        case store
        case load
    }
    var kind: Kind = .idle
    var token: UInt64 = 0
    var key = BlockKey(traceID: 0)
    /// The index slot of the block written or read.
    var slot: Int32 = -1
    /// The caller's destination (loads).
    var destination: UnsafeMutableRawPointer?
    var fileOffset: UInt64 = 0
    /// Bytes to transfer and bytes transferred so far (short transfers resubmit the rest).
    var length = 0
    var transferred = 0
    /// Resubmissions and EINTR/EAGAIN retries so far (bounded).
    var attempts = 0
    /// Submitted by the synchronous facade: the outcome goes to `facadeOutcome`.
    var isFacade = false
}
