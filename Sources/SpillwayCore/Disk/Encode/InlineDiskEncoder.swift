// The synchronous `DiskEncoder`: encodes on the caller's thread at submit, never behind.
// The disk tier's default, and what simulations use (deterministic, no threads).

/// Encodes each work item inside `submit`; the result is ready at once.
package final class InlineDiskEncoder: DiskEncoder {
    package let blockByteCountMax: Int
    package var threadCount: Int { 0 }
    private var scratch: UnsafeMutableRawPointer?
    private var finished: [DiskEncodeResult] = []

    package init(blockByteCountMax: Int) {
        self.blockByteCountMax = blockByteCountMax
        finished.reserveCapacity(1)
    }

    deinit { scratch?.deallocate() }

    package var isBehind: Bool { false }

    /// The encode is done when `submit` returns: it may read the caller's row directly.
    package var encodesInSubmit: Bool { true }

    package func submit(_ work: DiskEncodeWork) {
        precondition(work.rawLength <= blockByteCountMax, "encode larger than the scratch")
        if scratch == nil {
            scratch = UnsafeMutableRawPointer.allocate(
                byteCount: max(blockByteCountMax, 16), alignment: 64)
        }
        finished.append(work.perform(scratch: scratch!))
    }

    package func takeFinished(into results: inout [DiskEncodeResult]) {
        results.append(contentsOf: finished)
        finished.removeAll(keepingCapacity: true)
    }

    /// Nothing is ever queued: every encode finished inside `submit`.
    package func reclaim(into work: inout [DiskEncodeWork]) {}

    package func waitFinished(into results: inout [DiskEncodeResult]) {
        takeFinished(into: &results)
    }
}
