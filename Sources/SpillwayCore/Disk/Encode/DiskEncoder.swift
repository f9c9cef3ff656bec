// The seam between the disk tier's store path and whatever compresses its rows: the tier
// hands encode work over and polls for finished encodes, so encoding can run off the
// submitting thread (a threaded pool in SpillwaySystem) or inline (simulation, tests).

/// Runs the disk tier's payload encodes. Exactly one thread (the tier's owner) calls it.
///
/// Contract: `isBehind` false means the next `submit` is taken (only the owner submits, and
/// finishing encodes can only make room). A submitted work item finishes exactly once and
/// is returned exactly once by `takeFinished` or `waitFinished`; until then the encoder
/// may read `work.source` and write `work.destination`, which the tier keeps valid.
/// The tier stores a row raw, without waiting, whenever `isBehind` is true
/// (`DiskTierStats.blocksStoredRawBackpressure`): an encoder that falls behind the device
/// costs capacity, never throughput.
package protocol DiskEncoder: AnyObject {
    /// The largest raw length a work item may have (the encoder's scratch holds one block).
    var blockByteCountMax: Int { get }
    /// Threads encoding beside the owner's (0: encodes run on the owner's thread).
    var threadCount: Int { get }
    /// True when every encode finishes inside `submit` (and reads `work.source` only
    /// there): the tier then hands over the caller's row itself, never a copy of it.
    var encodesInSubmit: Bool { get }
    /// True when every encode slot is busy: a store now would have to wait for one.
    var isBehind: Bool { get }
    /// Starts `work`; only called when `isBehind` is false.
    func submit(_ work: DiskEncodeWork)
    /// Appends the encodes finished so far to `results` without waiting.
    func takeFinished(into results: inout [DiskEncodeResult])
    /// Takes back every submitted work item no thread has started (appended to `work`);
    /// the tier stores those rows raw. Called when the device has nothing left to write
    /// but rows waiting for the encoder: they would only make it wait.
    func reclaim(into work: inout [DiskEncodeWork])
    /// Waits until at least one submitted encode is finished, then appends every finished
    /// one to `results`. Only called while a submitted encode has not been returned yet.
    func waitFinished(into results: inout [DiskEncodeResult])
}
