// The one intrusive recency (LRU) list over slot numbers: the directory's primary and disk
// lists and the disk tier's LRU are each one of these; it also keeps a free-slot chain.

/// A doubly linked list of slots, least recent at the head, most recent at the tail, so
/// linking, unlinking and moving to the tail are O(1) and allocate nothing. The links
/// (8 bytes per slot) live either inside the owner's per-slot records (intrusive: a base
/// address and a byte stride, as the block directory's nodes hold both of their lists'
/// links next to the block's state, one cache line per block) or in an array of the list's
/// own (the disk tier's index, whose entries are a growable Swift array).
///
/// A slot that is not in the list may instead sit on the list's *free chain* (`pushFree` /
/// `popFree`, last pushed first popped), threaded through the same links; `isFree` tells
/// the two apart. Owners that need no free chain never call those.
///
/// The links are reached through a pointer and the head, tail and count are plain fields:
/// a class keeps its lists behind an `UnsafeMutablePointer` (no dynamic exclusivity checks).
/// Only `reserveSlots` reallocates. Call `deallocate()`.
struct SlotList {
    struct Links {
        /// Toward the head (less recent) and the tail (more recent); -1 at the ends.
        var prev: Int32
        var next: Int32
    }

    /// `prev` of a slot on the free chain.
    static let freeMarker: Int32 = -2

    /// Links of slot `s` at `base + s * stride`.
    private(set) var base: UnsafeMutableRawPointer
    let stride: Int
    /// Whether the list allocated `base` itself (then `reserveSlots` may grow it).
    let ownsLinks: Bool
    private(set) var slotCapacity: Int
    /// Least recent slot, -1 when empty.
    private(set) var head: Int32 = -1
    /// Most recent slot, -1 when empty.
    private(set) var tail: Int32 = -1
    /// Slots in the list (the free chain not included).
    private(set) var count = 0
    /// Top of the free chain, -1 when empty.
    private(set) var freeHead: Int32 = -1

    /// An empty list with links of its own for slots `0..<slotCapacity`, none of them on
    /// the free chain.
    init(slotCapacity: Int) {
        self.slotCapacity = max(slotCapacity, 1)
        let links = UnsafeMutablePointer<Links>.allocate(capacity: self.slotCapacity)
        links.initialize(repeating: Links(prev: -1, next: -1), count: self.slotCapacity)
        base = UnsafeMutableRawPointer(links)
        stride = MemoryLayout<Links>.stride
        ownsLinks = true
    }

    /// An empty list whose links are the `Links` at `base + slot * stride` for slots
    /// `0..<slotCapacity` (inside the owner's records; initialised here to "in no list").
    init(intrusiveAt base: UnsafeMutableRawPointer, stride: Int, slotCapacity: Int) {
        self.base = base
        self.stride = stride
        self.slotCapacity = slotCapacity
        ownsLinks = false
        for slot in 0..<slotCapacity {
            (base + slot * stride).bindMemory(to: Links.self, capacity: 1).pointee = Links(prev: -1, next: -1)
        }
    }

    /// Frees the links when the list owns them.
    func deallocate() { if ownsLinks { base.deallocate() } }

    /// Bytes held by the links when the list owns them.
    var allocatedBytes: Int { ownsLinks ? slotCapacity * MemoryLayout<Links>.stride : 0 }

    /// The links of `slot`.
    @inline(__always)
    private var links: LinkAccess { LinkAccess(base: base, stride: stride) }

    struct LinkAccess {
        let base: UnsafeMutableRawPointer
        let stride: Int
        @inline(__always)
        subscript(slot: Int) -> Links {
            get { (base + slot &* stride).assumingMemoryBound(to: Links.self).pointee }
            nonmutating set { (base + slot &* stride).assumingMemoryBound(to: Links.self).pointee = newValue }
        }
    }

    /// The next more recent slot after `slot`, or -1.
    @inline(__always)
    func moreRecent(_ slot: Int32) -> Int32 { links[Int(slot)].next }

    /// The next less recent slot before `slot`, or -1.
    @inline(__always)
    func lessRecent(_ slot: Int32) -> Int32 { links[Int(slot)].prev }

    /// Appends `slot` (in no list) at the most recent end.
    @inline(__always)
    mutating func append(_ slot: Int32) {
        links[Int(slot)] = Links(prev: tail, next: -1)
        if tail >= 0 { links[Int(tail)].next = slot } else { head = slot }
        tail = slot
        count &+= 1  // bounded by the slot capacity: no overflow check on the hot path
    }

    /// Takes `slot` (in this list) out.
    @inline(__always)
    mutating func remove(_ slot: Int32) {
        let link = links[Int(slot)]
        if link.prev >= 0 { links[Int(link.prev)].next = link.next } else { head = link.next }
        if link.next >= 0 { links[Int(link.next)].prev = link.prev } else { tail = link.prev }
        links[Int(slot)] = Links(prev: -1, next: -1)
        count &-= 1
    }

    /// Makes `slot` (in this list) the most recent: `remove` then `append`, written out
    /// (the count does not change, and a slot that is not the tail has a next).
    @inline(__always)
    mutating func moveToTail(_ slot: Int32) {
        let oldTail = tail
        guard oldTail != slot else { return }
        let link = links[Int(slot)]
        // A listed slot that is not the tail has a next; a slot in no list has none, and
        // writing through it would corrupt memory, not just the list.
        precondition(link.next >= 0, "moveToTail of a slot that is not in the list")
        if link.prev >= 0 { links[Int(link.prev)].next = link.next } else { head = link.next }
        links[Int(link.next)].prev = link.prev
        links[Int(slot)] = Links(prev: oldTail, next: -1)
        links[Int(oldTail)].next = slot
        tail = slot
    }

    // MARK: Free chain

    /// Whether `slot` is on the free chain.
    @inline(__always)
    func isFree(_ slot: Int32) -> Bool { links[Int(slot)].prev == Self.freeMarker }

    /// Puts `slot` (in no list) on top of the free chain.
    @inline(__always)
    mutating func pushFree(_ slot: Int32) {
        links[Int(slot)] = Links(prev: Self.freeMarker, next: freeHead)
        freeHead = slot
    }

    /// Takes the top of the free chain (-1 when empty); the slot is then in no list.
    @inline(__always)
    mutating func popFree() -> Int32 {
        let slot = freeHead
        if slot >= 0 {
            freeHead = links[Int(slot)].next
            links[Int(slot)] = Links(prev: -1, next: -1)
        }
        return slot
    }

    /// The slot below `slot` on the free chain, or -1 (invariant checks).
    func nextFree(_ slot: Int32) -> Int32 { links[Int(slot)].next }

    // MARK: Checks and growth

    /// Walks the list and traps naming `name` when it is not well linked (back links,
    /// cycle, tail, count). Returns the slots, least recent first (allocates; tests).
    func checkedOrder(_ name: String) -> [Int32] {
        var order: [Int32] = []
        var slot = head
        var last: Int32 = -1
        while slot >= 0 {
            precondition(Int(slot) < slotCapacity, "\(name) list: slot \(slot) out of range")
            precondition(order.count < count, "\(name) list: longer than its count (a cycle?)")
            precondition(links[Int(slot)].prev == last, "\(name) list: broken back link at slot \(slot)")
            order.append(slot)
            last = slot
            slot = links[Int(slot)].next
        }
        precondition(last == tail, "\(name) list: tail \(tail) but walk ended at \(last)")
        precondition(order.count == count, "\(name) list: \(order.count) linked, count says \(count)")
        return order
    }

    /// Makes room for slots `0..<slots` (links are copied; for stores that grow; only for
    /// a list that owns its links).
    mutating func reserveSlots(_ slots: Int) {
        guard slots > slotCapacity else { return }
        precondition(ownsLinks, "an intrusive list cannot grow")
        var capacity = slotCapacity
        while capacity < slots { capacity *= 2 }
        let grown = UnsafeMutablePointer<Links>.allocate(capacity: capacity)
        grown.initialize(repeating: Links(prev: -1, next: -1), count: capacity)
        grown.update(from: base.assumingMemoryBound(to: Links.self), count: slotCapacity)
        base.deallocate()
        base = UnsafeMutableRawPointer(grown)
        slotCapacity = capacity
    }
}
