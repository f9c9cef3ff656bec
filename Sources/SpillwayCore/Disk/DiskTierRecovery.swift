// What opening a disk tier found wrong and how it recovered: corrupt checkpoint slots and
// the scan of the data file's record headers that rebuilt the index.

/// The report of an open that was not clean (`DiskTier.recovery`). Owners print it: a
/// corrupt checkpoint is never reported as an empty or smaller tier.
public struct DiskTierRecovery: Equatable, Sendable {
    /// Checkpoint slot files that are non-empty but invalid (bad magic, CRC or counts).
    public var corruptCheckpoints: [String] = []
    /// Generation of the valid checkpoint the open started from (nil: none was valid).
    public var checkpointGeneration: UInt64?
    /// Entries listed by that checkpoint.
    public var checkpointBlocks = 0
    /// Whether the data file was scanned for record headers.
    public var scanned = false
    /// Intact records the scan found (header CRC and payload CRC valid).
    public var scannedRecords = 0
    /// Records whose header was valid but whose payload failed its CRC (torn or reused).
    public var rejectedRecords = 0
    /// Checkpoint entries dropped because the scan found no intact record for them.
    public var droppedCheckpointEntries = 0
    /// Blocks the scan added beyond the checkpoint (stored after it, or all of them when no
    /// checkpoint was valid).
    public var recoveredByScan = 0
    /// Blocks in the index after the open.
    public var blocks = 0

    public init() {}

    /// One line for an operator.
    public var summary: String {
        var text =
            corruptCheckpoints.isEmpty
            ? "the disk tier's index needed recovery"
            : "corrupt checkpoint \(corruptCheckpoints.joined(separator: " and "))"
        if let checkpointGeneration {
            text += "; used checkpoint generation \(checkpointGeneration) (\(checkpointBlocks) blocks)"
        } else {
            text += "; no valid checkpoint"
        }
        if scanned {
            text +=
                "; scanned the data file: \(scannedRecords) intact records, \(rejectedRecords) failed their CRC, \(recoveredByScan) blocks recovered beyond the checkpoint, \(droppedCheckpointEntries) checkpoint entries not intact"
        } else {
            text += "; blocks stored after that checkpoint are lost (scan recovery is off)"
        }
        text += "; the tier now holds \(blocks) blocks"
        return text
    }
}
