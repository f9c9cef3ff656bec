// The block directory: where every block lives, its ref count, and its recency in each tier,
// with O(1) lookup, touch and eviction and no allocation after init.
import CSpillwayCompute

/// Knows every block of the tiered store: its primary row and/or disk record, its reference
/// count, and its recency in each tier.
///
/// Layout (all preallocated at init from the tier capacities):
/// - a node array indexed by *slot* (slot count = primary capacity + disk capacity, enough
///   because every block occupies at least one tier); a key of at most 8 bytes lives in its
///   node, a longer one in a parallel long-key array (72 bytes a slot, its pages touched only
///   by such keys);
/// - a `SlotTable` (the shared open-addressing table) mapping `BlockKey` to slot;
/// - two `SlotList`s (the shared intrusive LRU list), primary and disk, least recent at the
///   head, their links inside the nodes; the primary list's free chain holds unused slots;
/// - two `IndexAllocator`s handing out primary rows and disk records in vLLM's order.
///
/// The directory only records state; the policy (`TieringCore`, driven by the manager, the
/// replay engine and `TieredStore`) decides what moves. Misuse (attaching a tier twice,
/// removing a resident block) traps.
package final class BlockDirectory {
    package typealias Slot = Int32
    /// "No slot": returned by `find` on a miss, and the end marker of the recency lists.
    package static let noSlot: Slot = -1

    /// Rows in the primary tier.
    package let primaryCapacity: Int
    /// Records in the disk tier.
    package let diskCapacity: Int
    /// Maximum number of blocks tracked at once (`primaryCapacity + diskCapacity`).
    package let slotCapacity: Int

    // Everything is reached through `let` pointers: a class `var` would cost a dynamic
    // exclusivity check (swift_beginAccess) on every access, a third of the replay's time.
    @usableFromInline let nodes: UnsafeMutablePointer<DirectoryNode>
    /// Keys longer than 8 bytes, by slot (uninitialised elsewhere: `BlockKey` is trivial).
    @usableFromInline let longKeys: UnsafeMutablePointer<BlockKey>
    let table: SlotTable
    let rows: IndexAllocator
    let diskRecords: IndexAllocator

    struct State {
        var primary: SlotList
        var disk: SlotList
        var count = 0
        var protectionStamp: UInt32 = 1
    }
    let state: UnsafeMutablePointer<State>

    private var protectionStamp: UInt32 {
        get { state.pointee.protectionStamp }
        set { state.pointee.protectionStamp = newValue }
    }
    /// Number of blocks tracked.
    package private(set) var count: Int {
        get { state.pointee.count }
        set { state.pointee.count = newValue }
    }
    /// Least recent primary block (head) and most recent (tail); -1 when empty.
    package var primaryHead: Slot { state.pointee.primary.head }
    package var primaryTail: Slot { state.pointee.primary.tail }
    /// Blocks in primary.
    package var primaryCount: Int { state.pointee.primary.count }
    /// Least recent disk block (head) and most recent (tail); -1 when empty.
    package var diskHead: Slot { state.pointee.disk.head }
    package var diskTail: Slot { state.pointee.disk.tail }
    /// Blocks on disk.
    package var diskCount: Int { state.pointee.disk.count }

    /// A directory for `primaryCapacity` rows and `diskCapacity` disk records.
    package init(primaryCapacity: Int, diskCapacity: Int) {
        precondition(primaryCapacity >= 0 && diskCapacity >= 0, "capacities must be >= 0")
        precondition(primaryCapacity + diskCapacity < Int(Int32.max) / 4, "capacity too large")
        self.primaryCapacity = primaryCapacity
        self.diskCapacity = diskCapacity
        slotCapacity = primaryCapacity + diskCapacity
        let allocated = max(slotCapacity, 1)
        nodes = .allocate(capacity: allocated)
        nodes.initialize(repeating: DirectoryNode(), count: allocated)
        longKeys = .allocate(capacity: allocated)
        table = SlotTable(keys: slotCapacity, maxLoad: .threeQuarters)
        rows = IndexAllocator(capacity: primaryCapacity)
        diskRecords = IndexAllocator(capacity: diskCapacity)
        let raw = UnsafeMutableRawPointer(nodes)
        let stride = MemoryLayout<DirectoryNode>.stride
        var primary = SlotList(
            intrusiveAt: raw + MemoryLayout<DirectoryNode>.offset(of: \.primaryLinks)!,
            stride: stride, slotCapacity: allocated)
        let disk = SlotList(
            intrusiveAt: raw + MemoryLayout<DirectoryNode>.offset(of: \.diskLinks)!,
            stride: stride, slotCapacity: allocated)
        // Free chain 0 -> 1 -> ... so slots are handed out in order (cache friendly).
        var slot = slotCapacity - 1
        while slot >= 0 {
            primary.pushFree(Int32(slot))
            slot -= 1
        }
        state = .allocate(capacity: 1)
        state.initialize(to: State(primary: primary, disk: disk))
    }

    deinit {
        state.pointee.primary.deallocate()
        state.pointee.disk.deallocate()
        state.deallocate()
        nodes.deallocate()
        longKeys.deallocate()
        table.deallocate()
        rows.deallocate()
        diskRecords.deallocate()
    }

    // MARK: Memory

    /// Bytes a slot spends on its key: the long-key array's element (allocated for every
    /// slot, its pages touched only by keys longer than 8 bytes) plus the node's key head and
    /// length.
    package static let keyBytesPerSlot =
        MemoryLayout<BlockKey>.stride + MemoryLayout<UInt64>.size + MemoryLayout<UInt8>.size

    /// Bytes allocated by the directory, the long-key array included (whose pages only keys
    /// longer than 8 bytes touch).
    package var allocatedBytes: Int {
        let slots = max(slotCapacity, 1)
        return slots * (MemoryLayout<DirectoryNode>.stride + MemoryLayout<BlockKey>.stride)
            + table.allocatedBytes + state.pointee.primary.allocatedBytes
            + state.pointee.disk.allocatedBytes
            + (max(primaryCapacity, 1) + max(diskCapacity, 1)) * MemoryLayout<Int32>.stride
            + MemoryLayout<State>.stride + 4 * MemoryLayout<Int>.stride
    }

    /// Bytes per block slot beyond the key's own storage (the node's key head and length, and
    /// the long-key array): the rest of the node, the table's share, the allocator stacks.
    package var bytesPerBlockBeyondKey: Double {
        let keyBytes = max(slotCapacity, 1) * Self.keyBytesPerSlot
        return Double(allocatedBytes - keyBytes) / Double(max(slotCapacity, 1))
    }

    // MARK: Lookup

    /// The slot holding `key`, or `noSlot`. O(1) expected; does not change recency.
    @inline(__always)
    package func find(_ key: BlockKey) -> Slot { find(key, hash: key.tableHash) }

    /// `find` with the key's `tableHash` already computed (the engine reuses it).
    @inline(__always)
    func find(_ key: BlockKey, hash: UInt64) -> Slot {
        table.find(hash: hash) { keyMatches($0, key) }
    }

    /// Whether the block in `slot` has key `key`: its node's head and length, and for a key
    /// longer than 8 bytes the long-key array.
    @inline(__always)
    func keyMatches(_ slot: Slot, _ key: BlockKey) -> Bool {
        keyMatches(slot, head: key.head, length: key.length) && (key.length <= 8 || longKeys[Int(slot)] == key)
    }

    /// Whether the block in `slot` has a key with this head and length (the whole key when
    /// `length <= 8`; for a longer key the caller also compares the rest).
    @inline(__always)
    func keyMatches(_ slot: Slot, head: UInt64, length: UInt8) -> Bool {
        let node = nodes[Int(slot)]
        return node.keyHead == head && node.keyLength == length
    }

    /// The first tag match on `hash`'s probe path (`SlotTable.candidate`): `find`'s answer
    /// when the slot's key equals the key sought, else call `find`.
    @inline(__always)
    func candidate(hash: UInt64) -> Slot { table.candidate(hash: hash) }

    /// The key stored in `slot`.
    @inline(__always)
    package func key(_ slot: Slot) -> BlockKey {
        let node = nodes[Int(slot)]
        return node.keyLength <= 8 ? BlockKey(head: node.keyHead, count: node.keyLength) : longKeys[Int(slot)]
    }

    /// The tiers holding the block in `slot`.
    @inline(__always)
    package func residency(_ slot: Slot) -> Residency {
        let node = nodes[Int(slot)]
        var result: Residency = []
        if node.row >= 0 { result.insert(.primary) }
        if node.diskRecord >= 0 { result.insert(.disk) }
        return result
    }

    /// Primary row of the block, or -1.
    @inline(__always)
    package func row(_ slot: Slot) -> Int32 { nodes[Int(slot)].row }

    /// Disk record of the block, or -1.
    @inline(__always)
    package func diskRecord(_ slot: Slot) -> Int32 { nodes[Int(slot)].diskRecord }

    /// vLLM ref count of the primary copy: -1 writing, 0 evictable, >0 being read.
    @inline(__always)
    package func refCount(_ slot: Slot) -> Int32 { nodes[Int(slot)].refCount }

    @inline(__always)
    package func setRefCount(_ slot: Slot, _ value: Int32) {
        precondition(value >= -1, "ref count below -1")
        nodes[Int(slot)].refCount = value
    }

    /// Reads of the disk copy in flight.
    @inline(__always)
    package func diskPinCount(_ slot: Slot) -> Int32 { nodes[Int(slot)].diskPinCount }

    @inline(__always)
    package func setDiskPinCount(_ slot: Slot, _ value: Int32) {
        precondition(value >= 0, "disk pin count below 0")
        nodes[Int(slot)].diskPinCount = value
    }

    /// Free primary rows.
    @inline(__always)
    package var freeRowCount: Int { rows.availableCount }
    /// Free disk records.
    @inline(__always)
    package var freeDiskRecordCount: Int { diskRecords.availableCount }

    // MARK: Insert / remove

    /// Adds `key` in no tier yet and returns its slot. Traps if present or out of slots (a
    /// caller attaches a tier right after, so slot count never exceeds the capacities).
    @inline(__always)
    package func insert(_ key: BlockKey) -> Slot {
        let slot = state.pointee.primary.popFree()
        precondition(slot >= 0, "directory out of slots")
        // Links "in no list", as popFree left them.
        nodes[Int(slot)] = DirectoryNode(keyHead: key.head, keyLength: key.length)
        if key.length > 8 { (longKeys + Int(slot)).initialize(to: key) }
        table.insert(slot, hash: key.tableHash) { keyMatches($0, key) }
        count += 1
        return slot
    }

    /// Forgets the block in `slot`, which must be in no tier.
    @inline(__always)
    package func remove(_ slot: Slot) {
        let node = nodes[Int(slot)]
        precondition(node.row < 0 && node.diskRecord < 0, "removing a resident block")
        precondition(!state.pointee.primary.isFree(slot), "removing a free slot")
        table.remove(slot, hash: key(slot).tableHash)
        state.pointee.primary.pushFree(slot)
        count -= 1
    }

    // MARK: Primary tier

    /// Gives the block a primary row (fresh ids first, then last freed) and appends it most
    /// recent. Sets the ref count to `refCount` (-1 while it is being written).
    @inline(__always)
    @discardableResult
    package func attachPrimary(_ slot: Slot, refCount: Int32) -> Int32 {
        precondition(nodes[Int(slot)].row < 0, "block already in primary")
        let row = rows.allocate()
        nodes[Int(slot)].row = row
        nodes[Int(slot)].refCount = refCount
        state.pointee.primary.append(slot)
        return row
    }

    /// Takes the block out of primary: unlinks it and frees its row (reused first).
    /// Returns the freed row.
    @inline(__always)
    @discardableResult
    package func detachPrimary(_ slot: Slot) -> Int32 {
        let row = nodes[Int(slot)].row
        precondition(row >= 0, "block not in primary")
        state.pointee.primary.remove(slot)
        nodes[Int(slot)].row = -1
        nodes[Int(slot)].refCount = 0
        rows.free(row)
        return row
    }

    /// Makes the block the most recent in primary (no-op when not in primary).
    @inline(__always)
    package func touchPrimary(_ slot: Slot) {
        guard nodes[Int(slot)].row >= 0 else { return }
        state.pointee.primary.moveToTail(slot)
    }

    /// The next more recent primary block after `slot`, or `noSlot`.
    @inline(__always)
    package func primaryMoreRecent(_ slot: Slot) -> Slot { state.pointee.primary.moreRecent(slot) }

    // MARK: Disk tier

    /// Gives the block a disk record and appends it most recent on disk.
    @inline(__always)
    @discardableResult
    package func attachDisk(_ slot: Slot) -> Int32 {
        precondition(nodes[Int(slot)].diskRecord < 0, "block already on disk")
        let record = diskRecords.allocate()
        nodes[Int(slot)].diskRecord = record
        nodes[Int(slot)].diskPinCount = 0
        state.pointee.disk.append(slot)
        return record
    }

    /// Takes the block off disk; returns the freed record.
    @inline(__always)
    @discardableResult
    package func detachDisk(_ slot: Slot) -> Int32 {
        let record = nodes[Int(slot)].diskRecord
        precondition(record >= 0, "block not on disk")
        state.pointee.disk.remove(slot)
        nodes[Int(slot)].diskRecord = -1
        nodes[Int(slot)].diskPinCount = 0
        diskRecords.free(record)
        return record
    }

    /// Makes the block the most recent on disk (no-op when not on disk).
    @inline(__always)
    package func touchDisk(_ slot: Slot) {
        guard nodes[Int(slot)].diskRecord >= 0 else { return }
        state.pointee.disk.moveToTail(slot)
    }

    /// The next more recent disk block after `slot`, or `noSlot`.
    @inline(__always)
    package func diskMoreRecent(_ slot: Slot) -> Slot { state.pointee.disk.moreRecent(slot) }

    // MARK: Protection (`protected` in docs/SEMANTICS.md, vLLM prepare_store's input keys)

    /// Starts a new protected set; every block protected before is unprotected (O(1)).
    @inline(__always)
    package func beginProtection() {
        protectionStamp &+= 1
        if protectionStamp == 0 {
            // Wrapped after 2^32 operations: clear stale stamps once so none aliases.
            for slot in 0..<slotCapacity { nodes[slot].protectionStamp = 0 }
            protectionStamp = 1
        }
    }

    /// Adds the block to the current protected set.
    @inline(__always)
    package func protect(_ slot: Slot) { nodes[Int(slot)].protectionStamp = protectionStamp }

    /// Whether the block is in the current protected set.
    @inline(__always)
    package func isProtected(_ slot: Slot) -> Bool {
        nodes[Int(slot)].protectionStamp == protectionStamp
    }

    // MARK: Prefetch (hints only: the caller is about to touch these)

    /// Starts loading the node of `slot` (no-op for `noSlot`): the next LRU victim, whose
    /// node is cold by definition, can be fetched while other work goes on.
    @inline(__always)
    func prefetchNode(_ slot: Slot) {
        if slot >= 0 { spw_prefetch(nodes + Int(slot)) }
    }

    // MARK: Iteration (tests, tools; allocates)

    /// Primary blocks, least recent first.
    package var primaryOrder: [Slot] { state.pointee.primary.checkedOrder("primary") }

    /// Disk blocks, least recent first.
    package var diskOrder: [Slot] { state.pointee.disk.checkedOrder("disk") }
}
