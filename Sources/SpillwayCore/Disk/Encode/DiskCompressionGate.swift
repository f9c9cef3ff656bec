// Decides, per store, whether a row is worth handing to the encoder: a running estimate of
// what encoding saved lately; while it says "nothing", rows are stored raw without paying
// for the encode, and a probe every so often notices when the data becomes compressible.

/// The disk tier's running estimate of the capacity its encodes save.
///
/// Every finished encode feeds `record(rawLength:storedLength:)`: the fraction of bytes it
/// saved (0 for a row kept raw) moves an exponentially weighted average (weight 1/8 per
/// encode). Once `warmUpCount` encodes have been seen and the average is below
/// `minimumSaving`, the gate is closed: `admits()` says no, and the row is stored raw
/// (`DiskTierStats.blocksStoredRawIncompressible`), except every `probeInterval`-th row,
/// which goes to the encoder as a probe. A probe that saves nothing doubles the interval (up
/// to `probeIntervalMax`); one that saves at least `minimumSaving` restarts the average
/// from its own saving, so the gate opens at once and the interval starts again at
/// `probeIntervalMin`.
/// Pure logic, deterministic: the same results in the same order give the same decisions.
package struct DiskCompressionGate: Equatable, Sendable {
    /// Below this estimated saving (fraction of raw bytes) encoding is not worth its CPU.
    package var minimumSaving: Double
    /// Encodes seen before the gate may close.
    package var warmUpCount: Int
    package var probeIntervalMin: Int
    package var probeIntervalMax: Int

    /// The running estimate of the fraction of raw bytes an encode saves.
    package private(set) var estimatedSaving: Double = 0
    /// Encodes recorded so far.
    package private(set) var recordedCount = 0
    /// Whether rows are being stored raw (only probes encoded).
    package private(set) var isClosed = false
    /// Rows between two probes while closed.
    package private(set) var probeInterval: Int
    private var rowsSinceProbe = 0
    /// Probes admitted while closed whose encode has not been recorded yet: only those back
    /// the interval off (encodes queued before the gate closed finish after it, saving
    /// nothing, and must not).
    private var probesOutstanding = 0

    package init(
        minimumSaving: Double = 0.02, warmUpCount: Int = 8, probeIntervalMin: Int = 16,
        probeIntervalMax: Int = 256
    ) {
        self.minimumSaving = minimumSaving
        self.warmUpCount = max(1, warmUpCount)
        self.probeIntervalMin = max(1, probeIntervalMin)
        self.probeIntervalMax = max(self.probeIntervalMin, probeIntervalMax)
        probeInterval = self.probeIntervalMin
    }

    /// Whether the next row goes to the encoder (true while open; while closed, true for
    /// every `probeInterval`-th row).
    package mutating func admits() -> Bool {
        guard isClosed else { return true }
        rowsSinceProbe += 1
        guard rowsSinceProbe >= probeInterval else { return false }
        rowsSinceProbe = 0
        probesOutstanding += 1
        return true
    }

    /// Feeds one finished encode: `storedLength` of `rawLength` bytes kept.
    package mutating func record(rawLength: Int, storedLength: Int) {
        guard rawLength > 0 else { return }
        let saving = max(0, 1 - Double(storedLength) / Double(rawLength))
        recordedCount += 1
        if recordedCount == 1 || (isClosed && saving >= minimumSaving) {
            // The first encode, or a probe that saved: the data changed, start from it.
            estimatedSaving = saving
        } else {
            estimatedSaving += (saving - estimatedSaving) / 8
        }
        let wasProbe = isClosed && probesOutstanding > 0
        if wasProbe { probesOutstanding -= 1 }
        if estimatedSaving >= minimumSaving {
            isClosed = false
            probeInterval = probeIntervalMin
            rowsSinceProbe = 0
            probesOutstanding = 0
        } else if recordedCount >= warmUpCount {
            if wasProbe, saving == 0 {
                // A probe found nothing again: probe less often.
                probeInterval = min(probeIntervalMax, probeInterval * 2)
            }
            isClosed = true
        }
    }
}
