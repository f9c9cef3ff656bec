// The block directory: where every block lives, its ref count, and its recency in each tier,
// with O(1) lookup, touch and eviction and no allocation after init.

/// Knows every block of the tiered store: its primary row and/or disk record, its reference
/// count, and its recency in each tier.
///
/// Layout (all preallocated at init from the tier capacities):
/// - a node array and a parallel key array indexed by *slot*; slot count = primary capacity
///   + disk capacity, enough because every block occupies at least one tier;
/// - an open-addressing table (linear probing, backward-shift deletion, load factor <= 1/2)
///   mapping `BlockKey` to slot;
/// - two intrusive doubly linked recency lists threaded through the nodes by slot index
///   (primary and disk), least recent at the head;
/// - two `IndexAllocator`s handing out primary rows and disk records in vLLM's order.
///
/// The directory only records state; the policies (`PrimaryTierManager`, `TieringEngine`)
/// decide what moves. Misuse (attaching a tier twice, removing a resident block) traps.
public final class BlockDirectory {
    public typealias Slot = Int32
    /// "No slot": returned by `find` on a miss, and the end marker of the recency lists.
    public static let noSlot: Slot = -1

    /// Rows in the primary tier.
    public let primaryCapacity: Int
    /// Records in the disk tier.
    public let diskCapacity: Int
    /// Maximum number of blocks tracked at once (`primaryCapacity + diskCapacity`).
    public let slotCapacity: Int

    // Everything is reached through `let` pointers: a class `var` would cost a dynamic
    // exclusivity check (swift_beginAccess) on every access, a third of the replay's time.
    @usableFromInline let nodes: UnsafeMutablePointer<DirectoryNode>
    @usableFromInline let keys: UnsafeMutablePointer<BlockKey>
    @usableFromInline let table: UnsafeMutablePointer<Slot>
    /// Low 32 bits of each slot's key hash: probes compare it before touching the key, and
    /// deletion's backward shift finds home buckets without rehashing keys (4 bytes/block).
    @usableFromInline let hashes: UnsafeMutablePointer<UInt32>
    @usableFromInline let tableMask: Int
    let rows: IndexAllocator
    let diskRecords: IndexAllocator

    struct State {
        var freeSlotHead: Slot = -1
        var count = 0
        var primaryHead: Slot = -1
        var primaryTail: Slot = -1
        var primaryCount = 0
        var diskHead: Slot = -1
        var diskTail: Slot = -1
        var diskCount = 0
        var protectionStamp: UInt32 = 1
    }
    private let state: UnsafeMutablePointer<State>

    private var freeSlotHead: Slot {
        get { state.pointee.freeSlotHead }
        set { state.pointee.freeSlotHead = newValue }
    }
    private var protectionStamp: UInt32 {
        get { state.pointee.protectionStamp }
        set { state.pointee.protectionStamp = newValue }
    }
    /// Number of blocks tracked.
    public private(set) var count: Int {
        get { state.pointee.count }
        set { state.pointee.count = newValue }
    }
    /// Least recent primary block (head) and most recent (tail); -1 when empty.
    public private(set) var primaryHead: Slot {
        get { state.pointee.primaryHead }
        set { state.pointee.primaryHead = newValue }
    }
    public private(set) var primaryTail: Slot {
        get { state.pointee.primaryTail }
        set { state.pointee.primaryTail = newValue }
    }
    /// Blocks in primary.
    public private(set) var primaryCount: Int {
        get { state.pointee.primaryCount }
        set { state.pointee.primaryCount = newValue }
    }
    /// Least recent disk block (head) and most recent (tail); -1 when empty.
    public private(set) var diskHead: Slot {
        get { state.pointee.diskHead }
        set { state.pointee.diskHead = newValue }
    }
    public private(set) var diskTail: Slot {
        get { state.pointee.diskTail }
        set { state.pointee.diskTail = newValue }
    }
    /// Blocks on disk.
    public private(set) var diskCount: Int {
        get { state.pointee.diskCount }
        set { state.pointee.diskCount = newValue }
    }

    /// A directory for `primaryCapacity` rows and `diskCapacity` disk records.
    public init(primaryCapacity: Int, diskCapacity: Int) {
        precondition(primaryCapacity >= 0 && diskCapacity >= 0, "capacities must be >= 0")
        precondition(primaryCapacity + diskCapacity < Int(Int32.max) / 4, "capacity too large")
        self.primaryCapacity = primaryCapacity
        self.diskCapacity = diskCapacity
        slotCapacity = primaryCapacity + diskCapacity
        let allocated = max(slotCapacity, 1)
        state = .allocate(capacity: 1)
        state.initialize(to: State())
        nodes = .allocate(capacity: allocated)
        keys = .allocate(capacity: allocated)
        hashes = .allocate(capacity: allocated)
        hashes.initialize(repeating: 0, count: allocated)
        keys.initialize(repeating: BlockKey(traceID: 0), count: allocated)
        var tableCount = 16
        while tableCount < 2 * slotCapacity { tableCount *= 2 }
        tableMask = tableCount - 1
        let table = UnsafeMutablePointer<Slot>.allocate(capacity: tableCount)
        self.table = table
        table.initialize(repeating: -1, count: tableCount)
        rows = IndexAllocator(capacity: primaryCapacity)
        diskRecords = IndexAllocator(capacity: diskCapacity)
        // Free-slot chain 0 -> 1 -> ... so slots are handed out in order (cache friendly).
        for slot in 0..<allocated {
            nodes[slot] = DirectoryNode(
                primaryPrev: DirectoryNode.freeMarker,
                primaryNext: slot + 1 < slotCapacity ? Int32(slot + 1) : -1,
                diskPrev: -1, diskNext: -1, row: -1, diskRecord: -1, refCount: 0,
                diskPinCount: 0, protectionStamp: 0)
        }
        freeSlotHead = slotCapacity > 0 ? 0 : -1
    }

    deinit {
        state.deallocate()
        nodes.deallocate()
        keys.deinitialize(count: max(slotCapacity, 1))
        keys.deallocate()
        hashes.deallocate()
        table.deallocate()
        rows.deallocate()
        diskRecords.deallocate()
    }

    // MARK: Memory

    /// Bytes allocated by the directory, keys included.
    public var allocatedBytes: Int {
        let slots = max(slotCapacity, 1)
        return slots * (MemoryLayout<DirectoryNode>.stride + MemoryLayout<BlockKey>.stride + MemoryLayout<UInt32>.stride)
            + (tableMask + 1) * MemoryLayout<Slot>.stride
            + (max(primaryCapacity, 1) + max(diskCapacity, 1)) * MemoryLayout<Int32>.stride
            + MemoryLayout<State>.stride + 4 * MemoryLayout<Int>.stride
    }

    /// Bytes per block slot beyond the inline key (node + table share + allocator stacks).
    public var bytesPerBlockBeyondKey: Double {
        let keyBytes = max(slotCapacity, 1) * MemoryLayout<BlockKey>.stride
        return Double(allocatedBytes - keyBytes) / Double(max(slotCapacity, 1))
    }

    // MARK: Lookup

    /// The slot holding `key`, or `noSlot`. O(1) expected; does not change recency.
    @inline(__always)
    public func find(_ key: BlockKey) -> Slot { find(key, hash: key.directoryHash) }

    /// `find` with the key's `directoryHash` already computed (the engine reuses it).
    @inline(__always)
    func find(_ key: BlockKey, hash: UInt64) -> Slot {
        let tag = UInt32(truncatingIfNeeded: hash)
        var index = Int(tag) & tableMask
        while true {
            let slot = table[index]
            if slot < 0 || (hashes[Int(slot)] == tag && keys[Int(slot)] == key) { return slot }
            index = (index + 1) & tableMask
        }
    }

    /// The key stored in `slot`.
    @inline(__always)
    public func key(_ slot: Slot) -> BlockKey { keys[Int(slot)] }

    /// The tiers holding the block in `slot`.
    @inline(__always)
    public func residency(_ slot: Slot) -> Residency {
        let node = nodes[Int(slot)]
        var result: Residency = []
        if node.row >= 0 { result.insert(.primary) }
        if node.diskRecord >= 0 { result.insert(.disk) }
        return result
    }

    /// Primary row of the block, or -1.
    @inline(__always)
    public func row(_ slot: Slot) -> Int32 { nodes[Int(slot)].row }

    /// Disk record of the block, or -1.
    @inline(__always)
    public func diskRecord(_ slot: Slot) -> Int32 { nodes[Int(slot)].diskRecord }

    /// vLLM ref count of the primary copy: -1 writing, 0 evictable, >0 being read.
    @inline(__always)
    public func refCount(_ slot: Slot) -> Int32 { nodes[Int(slot)].refCount }

    @inline(__always)
    public func setRefCount(_ slot: Slot, _ value: Int32) {
        precondition(value >= -1, "ref count below -1")
        nodes[Int(slot)].refCount = value
    }

    /// Reads of the disk copy in flight.
    @inline(__always)
    public func diskPinCount(_ slot: Slot) -> Int32 { nodes[Int(slot)].diskPinCount }

    @inline(__always)
    public func setDiskPinCount(_ slot: Slot, _ value: Int32) {
        precondition(value >= 0, "disk pin count below 0")
        nodes[Int(slot)].diskPinCount = value
    }

    /// Free primary rows.
    @inline(__always)
    public var freeRowCount: Int { rows.availableCount }
    /// Free disk records.
    @inline(__always)
    public var freeDiskRecordCount: Int { diskRecords.availableCount }

    // MARK: Insert / remove

    /// Adds `key` in no tier yet and returns its slot. Traps if present or out of slots (a
    /// caller attaches a tier right after, so slot count never exceeds the capacities).
    @inline(__always)
    public func insert(_ key: BlockKey) -> Slot {
        precondition(freeSlotHead >= 0, "directory out of slots")
        let slot = freeSlotHead
        freeSlotHead = nodes[Int(slot)].primaryNext
        nodes[Int(slot)] = DirectoryNode(
            primaryPrev: -1, primaryNext: -1, diskPrev: -1, diskNext: -1, row: -1,
            diskRecord: -1, refCount: 0, diskPinCount: 0, protectionStamp: 0)
        keys[Int(slot)] = key
        let tag = UInt32(truncatingIfNeeded: key.directoryHash)
        hashes[Int(slot)] = tag
        var index = Int(tag) & tableMask
        while table[index] >= 0 {
            let other = Int(table[index])
            precondition(hashes[other] != tag || keys[other] != key, "key already in the directory")
            index = (index + 1) & tableMask
        }
        table[index] = slot
        count += 1
        return slot
    }

    /// Forgets the block in `slot`, which must be in no tier.
    @inline(__always)
    public func remove(_ slot: Slot) {
        let node = nodes[Int(slot)]
        precondition(node.row < 0 && node.diskRecord < 0, "removing a resident block")
        precondition(node.primaryPrev != DirectoryNode.freeMarker, "removing a free slot")
        // Find the table entry, then backward-shift the cluster behind it (no tombstones, so
        // probes stay short however long the store runs).
        var hole = Int(hashes[Int(slot)]) & tableMask
        while table[hole] != slot { hole = (hole + 1) & tableMask }
        var next = hole
        while true {
            next = (next + 1) & tableMask
            let moving = table[next]
            if moving < 0 { break }
            let home = Int(hashes[Int(moving)]) & tableMask
            // `moving` may fill the hole only if its home is not cyclically in (hole, next].
            let homeInRange = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeInRange {
                table[hole] = moving
                hole = next
            }
        }
        table[hole] = -1
        nodes[Int(slot)].primaryPrev = DirectoryNode.freeMarker
        nodes[Int(slot)].primaryNext = freeSlotHead
        freeSlotHead = slot
        count -= 1
    }

    // MARK: Primary tier

    /// Gives the block a primary row (fresh ids first, then last freed) and appends it most
    /// recent. Sets the ref count to `refCount` (-1 while it is being written).
    @inline(__always)
    @discardableResult
    public func attachPrimary(_ slot: Slot, refCount: Int32) -> Int32 {
        precondition(nodes[Int(slot)].row < 0, "block already in primary")
        let row = rows.allocate()
        nodes[Int(slot)].row = row
        nodes[Int(slot)].refCount = refCount
        linkPrimaryTail(slot)
        primaryCount += 1
        return row
    }

    /// Takes the block out of primary: unlinks it and frees its row (reused first).
    /// Returns the freed row.
    @inline(__always)
    @discardableResult
    public func detachPrimary(_ slot: Slot) -> Int32 {
        let row = nodes[Int(slot)].row
        precondition(row >= 0, "block not in primary")
        unlinkPrimary(slot)
        nodes[Int(slot)].row = -1
        nodes[Int(slot)].refCount = 0
        rows.free(row)
        primaryCount -= 1
        return row
    }

    /// Makes the block the most recent in primary (no-op when not in primary).
    @inline(__always)
    public func touchPrimary(_ slot: Slot) {
        guard nodes[Int(slot)].row >= 0, primaryTail != slot else { return }
        unlinkPrimary(slot)
        linkPrimaryTail(slot)
    }

    /// The next more recent primary block after `slot`, or `noSlot`.
    @inline(__always)
    public func primaryMoreRecent(_ slot: Slot) -> Slot { nodes[Int(slot)].primaryNext }

    @inline(__always)
    private func linkPrimaryTail(_ slot: Slot) {
        nodes[Int(slot)].primaryPrev = primaryTail
        nodes[Int(slot)].primaryNext = -1
        if primaryTail >= 0 { nodes[Int(primaryTail)].primaryNext = slot } else { primaryHead = slot }
        primaryTail = slot
    }

    @inline(__always)
    private func unlinkPrimary(_ slot: Slot) {
        let prev = nodes[Int(slot)].primaryPrev
        let next = nodes[Int(slot)].primaryNext
        if prev >= 0 { nodes[Int(prev)].primaryNext = next } else { primaryHead = next }
        if next >= 0 { nodes[Int(next)].primaryPrev = prev } else { primaryTail = prev }
        nodes[Int(slot)].primaryPrev = -1
        nodes[Int(slot)].primaryNext = -1
    }

    // MARK: Disk tier

    /// Gives the block a disk record and appends it most recent on disk.
    @inline(__always)
    @discardableResult
    public func attachDisk(_ slot: Slot) -> Int32 {
        precondition(nodes[Int(slot)].diskRecord < 0, "block already on disk")
        let record = diskRecords.allocate()
        nodes[Int(slot)].diskRecord = record
        nodes[Int(slot)].diskPinCount = 0
        linkDiskTail(slot)
        diskCount += 1
        return record
    }

    /// Takes the block off disk; returns the freed record.
    @inline(__always)
    @discardableResult
    public func detachDisk(_ slot: Slot) -> Int32 {
        let record = nodes[Int(slot)].diskRecord
        precondition(record >= 0, "block not on disk")
        unlinkDisk(slot)
        nodes[Int(slot)].diskRecord = -1
        nodes[Int(slot)].diskPinCount = 0
        diskRecords.free(record)
        diskCount -= 1
        return record
    }

    /// Makes the block the most recent on disk (no-op when not on disk).
    @inline(__always)
    public func touchDisk(_ slot: Slot) {
        guard nodes[Int(slot)].diskRecord >= 0, diskTail != slot else { return }
        unlinkDisk(slot)
        linkDiskTail(slot)
    }

    /// The next more recent disk block after `slot`, or `noSlot`.
    @inline(__always)
    public func diskMoreRecent(_ slot: Slot) -> Slot { nodes[Int(slot)].diskNext }

    @inline(__always)
    private func linkDiskTail(_ slot: Slot) {
        nodes[Int(slot)].diskPrev = diskTail
        nodes[Int(slot)].diskNext = -1
        if diskTail >= 0 { nodes[Int(diskTail)].diskNext = slot } else { diskHead = slot }
        diskTail = slot
    }

    @inline(__always)
    private func unlinkDisk(_ slot: Slot) {
        let prev = nodes[Int(slot)].diskPrev
        let next = nodes[Int(slot)].diskNext
        if prev >= 0 { nodes[Int(prev)].diskNext = next } else { diskHead = next }
        if next >= 0 { nodes[Int(next)].diskPrev = prev } else { diskTail = prev }
        nodes[Int(slot)].diskPrev = -1
        nodes[Int(slot)].diskNext = -1
    }

    // MARK: Protection (`protected` in docs/SEMANTICS.md, vLLM prepare_store's input keys)

    /// Starts a new protected set; every block protected before is unprotected (O(1)).
    @inline(__always)
    public func beginProtection() {
        protectionStamp &+= 1
        if protectionStamp == 0 {
            // Wrapped after 2^32 operations: clear stale stamps once so none aliases.
            for slot in 0..<slotCapacity { nodes[slot].protectionStamp = 0 }
            protectionStamp = 1
        }
    }

    /// Adds the block to the current protected set.
    @inline(__always)
    public func protect(_ slot: Slot) { nodes[Int(slot)].protectionStamp = protectionStamp }

    /// Whether the block is in the current protected set.
    @inline(__always)
    public func isProtected(_ slot: Slot) -> Bool {
        nodes[Int(slot)].protectionStamp == protectionStamp
    }

    // MARK: Iteration (tests, tools; allocates)

    /// Primary blocks, least recent first.
    public var primaryOrder: [Slot] {
        var result: [Slot] = []
        var slot = primaryHead
        while slot >= 0 { result.append(slot); slot = nodes[Int(slot)].primaryNext }
        return result
    }

    /// Disk blocks, least recent first.
    public var diskOrder: [Slot] {
        var result: [Slot] = []
        var slot = diskHead
        while slot >= 0 { result.append(slot); slot = nodes[Int(slot)].diskNext }
        return result
    }
}
