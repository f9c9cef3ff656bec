// A `DiskEncoder` for simulations: it lags on a seeded schedule, so the disk tier's
// deferred-encode and raw-fallback paths run deterministically, with no threads.
import SpillwayCore

/// Encodes on the caller's thread, but reports itself behind on a seeded schedule (and
/// whenever `slotCount` encodes are pending) and finishes each encode only after a seeded
/// number of polls, so encodes come back late and out of order. The bytes each encode
/// produces are exactly those of `InlineDiskEncoder` (both run `DiskEncodeWork.perform`).
package final class SeededDiskEncoder: DiskEncoder {
    package let blockByteCountMax: Int
    package var threadCount: Int { 0 }
    /// Encodes finish late: the tier must hand over a copy of the row.
    package var encodesInSubmit: Bool { false }
    /// Chance that `isBehind` says yes with a slot free.
    package let behindRate: Double
    /// Encodes pending at most.
    package let slotCount: Int
    /// Polls an encode waits at most before it finishes.
    package let pollCountMax: Int
    private var rng: SplitMix64
    private var pending: [(work: DiskEncodeWork, pollsLeft: Int)] = []
    private let scratch: UnsafeMutableRawPointer
    /// Times `isBehind` said yes, and encodes finished.
    package private(set) var behindCount = 0
    package private(set) var finishedCount = 0
    /// Encodes taken back by `reclaim`.
    package private(set) var reclaimedCount = 0

    package init(
        seed: UInt64, blockByteCountMax: Int, behindRate: Double = 0.3, slotCount: Int = 3,
        pollCountMax: Int = 4
    ) {
        self.rng = SplitMix64(seed: seed)
        self.blockByteCountMax = blockByteCountMax
        self.behindRate = behindRate
        self.slotCount = max(1, slotCount)
        self.pollCountMax = max(0, pollCountMax)
        scratch = UnsafeMutableRawPointer.allocate(
            byteCount: max(blockByteCountMax, 16), alignment: 64)
    }

    deinit { scratch.deallocate() }

    /// Encodes submitted and not yet returned.
    package var pendingCount: Int { pending.count }

    package var isBehind: Bool {
        let behind = pending.count >= slotCount || rng.chance(behindRate)
        if behind { behindCount += 1 }
        return behind
    }

    package func submit(_ work: DiskEncodeWork) {
        precondition(work.rawLength <= blockByteCountMax, "encode larger than the scratch")
        precondition(pending.count < slotCount, "submit to an encoder that is behind")
        pending.append((work, rng.below(pollCountMax + 1)))
    }

    package func takeFinished(into results: inout [DiskEncodeResult]) {
        var kept: [(work: DiskEncodeWork, pollsLeft: Int)] = []
        for var item in pending {
            if item.pollsLeft == 0 {
                results.append(finish(item.work))
            } else {
                item.pollsLeft -= 1
                kept.append(item)
            }
        }
        pending = kept
    }

    /// Takes back a seeded share of the pending encodes (those a thread would not have
    /// started yet), oldest first.
    package func reclaim(into work: inout [DiskEncodeWork]) {
        var kept: [(work: DiskEncodeWork, pollsLeft: Int)] = []
        for item in pending {
            if rng.chance(0.5) {
                work.append(item.work)
                reclaimedCount += 1
            } else {
                kept.append(item)
            }
        }
        pending = kept
    }

    package func waitFinished(into results: inout [DiskEncodeResult]) {
        precondition(!pending.isEmpty, "wait for an encode with none pending")
        let count = results.count
        takeFinished(into: &results)
        if results.count == count {
            // Waiting ends with one encode done: a seeded one of those pending.
            let index = rng.below(pending.count)
            results.append(finish(pending.remove(at: index).work))
        }
    }

    private func finish(_ work: DiskEncodeWork) -> DiskEncodeResult {
        finishedCount += 1
        return work.perform(scratch: scratch)
    }
}
