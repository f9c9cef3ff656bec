// The per-block record of the directory: links in both recency lists, residency, ref count.

/// One block's state, stored in a preallocated array indexed by slot. The key lives in a
/// parallel array so this record stays small (36 bytes).
///
/// `refCount` is vLLM's `BlockStatus.ref_cnt` for the primary copy: -1 while being written
/// (stored or promoted), 0 readable and evictable, >0 readable and pinned by that many loads.
/// `diskPinCount` counts reads of the disk copy in flight (a promotion); a pinned disk copy is
/// never evicted.
@usableFromInline
struct DirectoryNode {
    /// Neighbours in the primary recency list (toward least / most recent); -1 at the ends.
    /// For a free slot, `primaryPrev == DirectoryNode.freeMarker` and `primaryNext` links the
    /// free-slot chain.
    var primaryPrev: Int32
    var primaryNext: Int32
    /// Neighbours in the disk recency list; -1 at the ends.
    var diskPrev: Int32
    var diskNext: Int32
    /// Primary row, or -1 when not in primary.
    var row: Int32
    /// Disk record index, or -1 when not on disk.
    var diskRecord: Int32
    var refCount: Int32
    var diskPinCount: Int32
    /// Equal to the directory's current protection stamp when the block is protected from
    /// eviction for the operation in progress (`protected` in docs/SEMANTICS.md).
    var protectionStamp: UInt32

    static let freeMarker: Int32 = -2
}
