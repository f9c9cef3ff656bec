// A stored/removed notification for a batch of blocks in one medium, as vLLM's
// `OffloadingEvent` (vllm/v1/kv_offload/abstract.py).

/// Where an event happened: vLLM's medium names.
public enum OffloadingMedium: String, Sendable, Equatable, Codable {
    /// The primary tier (shared region rows); vLLM's `CPULoadStoreSpec.medium()`.
    case cpu = "CPU"
    /// The disk tier.
    case storage = "STORAGE"
}

/// Blocks that became readable (`removed == false`) or were removed from a medium.
public struct OffloadingEvent: Sendable, Equatable {
    /// The blocks, in the order the manager processed them.
    public var keys: [BlockKey]
    /// Bytes per block (as configured).
    public var blockSize: Int
    public var medium: OffloadingMedium
    public var removed: Bool

    public init(keys: [BlockKey], blockSize: Int, medium: OffloadingMedium, removed: Bool) {
        self.keys = keys
        self.blockSize = blockSize
        self.medium = medium
        self.removed = removed
    }
}
