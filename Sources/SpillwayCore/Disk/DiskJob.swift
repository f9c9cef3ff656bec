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
    /// The extent's data file and its offset there.
    var fileIndex: UInt8 = 0
    var fileOffset: UInt64 = 0
    /// Bytes this job counts in its file's `DiskFileAllocators.bytesInFlight` (its
    /// extent's, once it has one), given back when the job is released.
    var deviceBytes = 0
    /// The current transfer: its memory, its offset in the file, the registered-buffer index
    /// of that memory (-1 none), bytes to move and bytes moved so far (short transfers
    /// resubmit the rest). A staged job has one transfer (the whole record from or into its
    /// staging buffer); a zero-copy job two: the payload straight from or into the caller's
    /// memory, then the header page (written last, so a torn record never has a valid
    /// header for the new payload).
    var buffer: UnsafeMutableRawPointer?
    var transferOffset: UInt64 = 0
    var bufferIndex: Int32 = -1
    var length = 0
    var transferred = 0
    /// A zero-copy job, and whether its transfer under way is the payload (else the header).
    var isZeroCopy = false
    var isZeroCopyPayload = false
    /// A store whose payload is with the encoder: no extent and no transfer yet.
    var isEncoding = false
    /// Bytes moved by the finished transfers of this job.
    var bytesMoved = 0
    /// Resubmissions and EINTR/EAGAIN retries so far (bounded).
    var attempts = 0
    /// Submitted by the synchronous facade: the outcome goes to `facadeOutcome`.
    var isFacade = false
}
