// The per-block record of the directory: recency links of both lists, residency, ref count,
// disk pins, protection.

/// One block's state, stored in a preallocated array indexed by slot (48 bytes). A key of at
/// most 8 bytes (every integer trace id) lives here too (`keyHead`, `keyLength`), so a lookup
/// compares it in the record it reads next anyway; a longer key's bytes live in the
/// directory's parallel long-key array, read only for such keys. The two `SlotList`s
/// (primary and disk) are intrusive: their links are these records' `primaryLinks` /
/// `diskLinks`, so a touch reads and writes one record per block.
///
/// `refCount` is vLLM's `BlockStatus.ref_cnt` for the primary copy: -1 while being written
/// (stored or promoted), 0 readable and evictable, >0 readable and pinned by that many loads.
/// `diskPinCount` counts reads of the disk copy in flight (a promotion); a pinned disk copy is
/// never evicted.
@usableFromInline
struct DirectoryNode {
    // Field order: what a lookup reads (key, length, row) comes first, then the links a
    // touch rewrites, then what an eviction walk checks.
    /// The key's first 8 bytes (`BlockKey.head`): the whole key when `keyLength <= 8`.
    var keyHead: UInt64 = 0
    /// The key's length in bytes (0 in a free slot).
    var keyLength: UInt8 = 0
    /// Primary row, or -1 when not in primary.
    var row: Int32 = -1
    /// Disk record index, or -1 when not on disk.
    var diskRecord: Int32 = -1
    /// Links of the primary list (or of the free-slot chain) and of the disk list.
    var primaryLinks = SlotList.Links(prev: -1, next: -1)
    var diskLinks = SlotList.Links(prev: -1, next: -1)
    var refCount: Int32 = 0
    /// Equal to the directory's current protection stamp when the block is protected from
    /// eviction for the operation in progress (`protected` in docs/SEMANTICS.md).
    var protectionStamp: UInt32 = 0
    var diskPinCount: Int32 = 0
}
