// Full consistency check of the directory, for tests (O(capacity)).

extension BlockDirectory {
    /// Traps with a message naming the broken invariant. Checks: both recency lists are
    /// well linked (`SlotList.checkedOrder`) and their lengths match the counts; every listed block has the matching
    /// row/record; rows and disk records are unique, in range and disjoint from the
    /// allocators' free stacks; the hash table maps each tracked key to its slot and nothing
    /// else; ref counts are >= -1; every tracked block is in at least one tier.
    package func checkInvariants() {
        let inPrimary = Set(state.pointee.primary.checkedOrder("primary"))
        let onDisk = Set(state.pointee.disk.checkedOrder("disk"))
        precondition(primaryCount <= primaryCapacity, "more primary blocks than rows")
        precondition(diskCount <= diskCapacity, "more disk blocks than records")
        precondition(rows.allocatedCount == primaryCount, "row allocator disagrees with primary count")
        precondition(diskRecords.allocatedCount == diskCount, "disk allocator disagrees with disk count")

        var usedRows = Set<Int32>()
        var usedRecords = Set<Int32>()
        var tracked = 0
        for slot in 0..<Int32(slotCapacity) {
            let node = nodes[Int(slot)]
            if state.pointee.primary.isFree(slot) { continue }
            tracked += 1
            precondition(node.row >= 0 || node.diskRecord >= 0, "slot \(slot) tracked but in no tier")
            precondition((node.row >= 0) == inPrimary.contains(slot), "slot \(slot): row vs primary list")
            precondition((node.diskRecord >= 0) == onDisk.contains(slot), "slot \(slot): record vs disk list")
            precondition(node.refCount >= -1, "slot \(slot): ref count \(node.refCount)")
            precondition(node.row >= 0 || node.refCount == 0, "slot \(slot): ref count without a row")
            precondition(node.diskPinCount >= 0, "slot \(slot): negative disk pins")
            if node.row >= 0 {
                precondition(Int(node.row) < rows.freshCount, "slot \(slot): row never allocated")
                precondition(usedRows.insert(node.row).inserted, "row \(node.row) used twice")
            }
            if node.diskRecord >= 0 {
                precondition(Int(node.diskRecord) < diskRecords.freshCount, "slot \(slot): record never allocated")
                precondition(usedRecords.insert(node.diskRecord).inserted, "record \(node.diskRecord) used twice")
            }
            precondition(node.keyLength > 0, "slot \(slot): tracked without a key")
            precondition(find(key(slot)) == slot, "slot \(slot): key not found in the table")
        }
        precondition(tracked == count, "tracked \(tracked) but count \(count)")
        precondition(usedRows.isDisjoint(with: rows.freedIndices), "a used row is on the free stack")
        precondition(usedRecords.isDisjoint(with: diskRecords.freedIndices), "a used record is on the free stack")
        var tableEntries = 0
        for index in 0..<table.bucketCount where table.buckets[index].slot >= 0 {
            tableEntries += 1
            let slot = table.buckets[index].slot
            precondition(!state.pointee.primary.isFree(slot), "table points at free slot \(slot)")
            precondition(
                table.buckets[index].tag == SlotTable.tag(key(slot).tableHash), "bucket \(index): tag of slot \(slot) stale")
        }
        precondition(tableEntries == count, "table holds \(tableEntries) entries, count \(count)")
    }
}
