// Hands out row (or disk record) indices in vLLM's order: fresh ids from 0 upward first,
// then freed ids last-freed-first.

/// A preallocated index allocator over `0..<capacity`.
///
/// Mirrors vLLM's `CPUOffloadingManager._allocate_blocks` / `_free_block`
/// (vllm/v1/kv_offload/cpu_manager.py, and `CPUBackend` in backends/cpu.py): an allocation
/// takes a fresh id (`num_allocated_blocks`, counting up) while any remain, and only then pops
/// the free list, which is a stack (`list.pop()`), so the last freed id is reused first.
/// Example with capacity 4: allocate ×4 gives 0,1,2,3; free 1, free 2, free 3; allocate ×3
/// gives 3,2,1.
///
/// No allocation after init; all operations are O(1).
package struct IndexAllocator {
    /// Number of indices managed.
    package let capacity: Int
    /// Next never-used index; indices below it have been handed out at least once.
    package var freshCount: Int { counts[0] }
    private let freeStack: UnsafeMutablePointer<Int32>
    /// [freshCount, freeStackCount], behind a pointer so the allocator can live in a `let`
    /// of a class without dynamic exclusivity checks on every call.
    private let counts: UnsafeMutablePointer<Int>
    private var freeStackCount: Int {
        get { counts[1] }
        nonmutating set { counts[1] = newValue }
    }

    /// An allocator over `0..<capacity` (capacity may be 0). Call `deallocate()` when done.
    init(capacity: Int) {
        precondition(capacity >= 0 && capacity < Int(Int32.max), "capacity out of range")
        self.capacity = capacity
        freeStack = .allocate(capacity: max(capacity, 1))
        counts = .allocate(capacity: 2)
        counts.initialize(repeating: 0, count: 2)
    }

    func deallocate() {
        freeStack.deallocate()
        counts.deallocate()
    }

    /// Indices available to `allocate()`.
    @inline(__always)
    package var availableCount: Int { capacity - freshCount + freeStackCount }

    /// Indices currently handed out.
    @inline(__always)
    package var allocatedCount: Int { capacity - availableCount }

    /// Takes an index: a fresh one while any remain, else the last freed. Traps when none is
    /// available (callers check `availableCount` first).
    @inline(__always)
    func allocate() -> Int32 {
        let fresh = counts[0]
        if fresh < capacity {
            counts[0] = fresh + 1
            return Int32(truncatingIfNeeded: fresh)
        }
        precondition(freeStackCount > 0, "IndexAllocator exhausted")
        freeStackCount -= 1
        return freeStack[freeStackCount]
    }

    /// Returns `index` to the allocator; it is the next one reused once fresh ids run out.
    @inline(__always)
    func free(_ index: Int32) {
        precondition(index >= 0 && Int(index) < freshCount, "freeing an index never allocated")
        precondition(freeStackCount < capacity, "double free")
        freeStack[freeStackCount] = index
        freeStackCount += 1
    }

    /// The free stack, bottom first (tests and invariant checks).
    var freedIndices: [Int32] { (0..<freeStackCount).map { freeStack[$0] } }
}
