// The per-block record of the directory: recency links of both lists, residency, ref count,
// disk pins, protection.

/// One block's state, stored in a preallocated array indexed by slot. The key lives in a
/// parallel array so this record stays small (36 bytes). The two `SlotList`s (primary and
/// disk) are intrusive: their links are these records' `primaryLinks` / `diskLinks`, so a
/// touch reads and writes one record per block.
///
/// `refCount` is vLLM's `BlockStatus.ref_cnt` for the primary copy: -1 while being written
/// (stored or promoted), 0 readable and evictable, >0 readable and pinned by that many loads.
/// `diskPinCount` counts reads of the disk copy in flight (a promotion); a pinned disk copy is
/// never evicted.
@usableFromInline
struct DirectoryNode {
    /// Links of the primary list (or of the free-slot chain) and of the disk list.
    var primaryLinks = SlotList.Links(prev: -1, next: -1)
    var diskLinks = SlotList.Links(prev: -1, next: -1)
    /// Primary row, or -1 when not in primary.
    var row: Int32 = -1
    /// Disk record index, or -1 when not on disk.
    var diskRecord: Int32 = -1
    var refCount: Int32 = 0
    var diskPinCount: Int32 = 0
    /// Equal to the directory's current protection stamp when the block is protected from
    /// eviction for the operation in progress (`protected` in docs/SEMANTICS.md).
    var protectionStamp: UInt32 = 0
}
