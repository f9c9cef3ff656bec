// The replay's request processing (prefix, promotion batch, hits, touch, store batch) as an
// adapter over the TieringCore, which does every block movement (make room, spill /
// write-through, disk LRU, promotion).

/// Processes requests exactly as docs/SEMANTICS.md specifies and keeps its counters.
///
/// Per request (`protected` = all the request's keys):
/// 1. `prefix` = longest prefix of keys present in primary or on disk;
/// 2. the prefix keys not in primary (first occurrences) are promoted as one batch: make room
///    for that many rows, or count `promoteFailed` and cut the prefix before its first
///    disk-only key; promoted keys get rows most-recent in prefix order, `diskReads` each;
/// 3. promoted keys count `hitDisk`, other prefix keys `hitPrimary`, the rest `miss`;
/// 4. the prefix is touched in reverse order in both tiers;
/// 5. the keys after the prefix not in primary (first occurrences) are stored as one batch
///    (make room, or `storeSkipped += count`), each most recent, `stored` each; under
///    write-through each is also written to disk.
///
/// Making room, writing to disk and promotion are the `TieringCore`'s (documented there);
/// the replay protects all the request's keys and reads each promotion through the data path.
///
/// Failures from the data path (never in simulation, so simulation counters are exact):
/// - a failed promotion read (`loadFromDisk` returns `.failed`) counts `diskReadFailures`
///   (not `diskReads`), drops the block from both tiers (its row is freed, its disk record
///   removed), and cuts the prefix at that key: it and every later key of the request count as
///   `miss`, the remaining disk-only keys of the batch are not promoted, and step 5 then
///   stores the failed key afresh (like any missing key), so the block is recomputed rather
///   than served wrong. Evictions already made for the batch stand.
/// - a failed disk write counts `diskWriteFailures` (not `diskWrites`); the block gets no
///   disk copy (a spilled victim is thereby dropped).
///
/// Not thread-safe; one engine per directory.
package final class TieringEngine<DataPath: TierDataPath> {
    /// The core that moves the blocks.
    package let core: TieringCore<DataPath>
    /// The directory the engine moves blocks in.
    package var directory: BlockDirectory { core.directory }
    package var policy: TieringPolicy { core.policy }
    /// Where bytes move; `SimulatedDataPath` for the pure simulation.
    package var dataPath: DataPath { core.dataPath }
    /// Counters so far.
    package var counters: TieringCounters { core.counterStorage.pointee }

    private var scratchCapacity = 0
    private var requestKeys: UnsafeMutablePointer<BlockKey>
    private var requestSlots: UnsafeMutablePointer<BlockDirectory.Slot>
    private var requestHashes: UnsafeMutablePointer<UInt64>
    /// Per position: bit 0 = first occurrence of the key in the request, bit 1 = was in
    /// primary at the start of the request.
    private var requestFlags: UnsafeMutablePointer<UInt8>
    private var firstOccurrences = RequestKeySet()

    private static var firstFlag: UInt8 { 1 }
    private static var inPrimaryFlag: UInt8 { 2 }

    /// An engine with a fresh directory of `primaryBlocks` rows and `diskBlocks` records.
    package init(primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy, dataPath: DataPath) {
        core = TieringCore(
            primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy, dataPath: dataPath)
        scratchCapacity = 256
        requestKeys = .allocate(capacity: scratchCapacity)
        requestSlots = .allocate(capacity: scratchCapacity)
        requestHashes = .allocate(capacity: scratchCapacity)
        requestFlags = .allocate(capacity: scratchCapacity)
    }

    deinit {
        requestKeys.deallocate()
        requestSlots.deallocate()
        requestHashes.deallocate()
        requestFlags.deallocate()
        firstOccurrences.deallocate()
    }

    /// Blocks in primary now.
    package var residentPrimary: Int { directory.primaryCount }
    /// Blocks on disk now.
    package var residentDisk: Int { directory.diskCount }

    private func reserveScratch(_ count: Int) {
        guard count > scratchCapacity else { return }
        var size = scratchCapacity
        while size < count { size *= 2 }
        requestKeys.deallocate()
        requestSlots.deallocate()
        requestHashes.deallocate()
        requestFlags.deallocate()
        requestKeys = .allocate(capacity: size)
        requestSlots = .allocate(capacity: size)
        requestHashes = .allocate(capacity: size)
        requestFlags = .allocate(capacity: size)
        scratchCapacity = size
    }

    /// Processes one request of integer trace block ids (keys via `BlockKey(traceID:)`).
    package func process(traceIDs: [UInt64]) {
        traceIDs.withUnsafeBufferPointer { process(traceIDs: $0) }
    }

    /// Processes one request of integer trace block ids held in memory (the replay passes
    /// slices of a trace's flat key array).
    @inline(__always)
    func process(traceIDs ids: UnsafeBufferPointer<UInt64>) {
        reserveScratch(ids.count)
        process(TraceIDRequestKeys(ids: ids), count: ids.count)
    }

    /// Processes one request given as block keys in prompt order.
    package func process(keys: some Collection<BlockKey>) {
        reserveScratch(keys.count)
        var index = 0
        for key in keys {
            requestKeys[index] = key
            index += 1
        }
        process(BlockKeyRequestKeys(keys: requestKeys), count: index)
    }

    /// Processes the request whose keys are `keys` at positions `0..<n` (scratch reserved).
    /// Specialized per key form: for trace ids the compiler sees that words 1...7 of each
    /// key are zero (a cheap hash) and compares 8-byte ids, never 72-byte keys.
    @inline(__always)
    private func process<Keys: RequestKeys>(_ keys: Keys, count n: Int) {
        let core = self.core
        let dir = core.directory
        let counters = core.counterStorage
        // Local copies of the scratch pointers: reading class `var`s in the loops would cost
        // an exclusivity check each.
        let requestSlots = self.requestSlots
        let requestHashes = self.requestHashes
        let requestFlags = self.requestFlags
        counters.pointee.requests += 1
        counters.pointee.blocks += n
        dir.beginProtection()
        firstOccurrences.reset(forCount: n)
        let firstOccurrences = self.firstOccurrences
        // The lookups as short loops over the request, one step each (hash; probe the
        // buckets; compare the candidate's key, rarely probing on; read the node): the keys
        // are independent, so with little work per iteration the processor keeps many of
        // their cache misses (bucket, key, node) in flight at once instead of one chain.
        for j in 0..<n { requestHashes[j] = keys.key(j).tableHash }
        for j in 0..<n { requestSlots[j] = dir.candidate(hash: requestHashes[j]) }
        for j in 0..<n {
            let candidate = requestSlots[j]
            if candidate >= 0 && !keys.matches(dir, candidate, j) {
                requestSlots[j] = dir.find(keys.key(j), hash: requestHashes[j])
            }
        }
        // The same pass finds 1. the prefix present in either tier (up to the first key in
        // neither) and counts its disk-only first occurrences (the promotion batch).
        var prefix = n
        var promoteCount = 0
        for j in 0..<n {
            let slot = requestSlots[j]
            var flags: UInt8 =
                firstOccurrences.insert(j, hash: requestHashes[j], keys: keys) ? Self.firstFlag : 0
            if slot >= 0 {
                dir.protect(slot)
                if dir.row(slot) >= 0 { flags |= Self.inPrimaryFlag }
                if flags == Self.firstFlag && prefix == n { promoteCount &+= 1 }
            } else if prefix == n {
                prefix = j
            }
            requestFlags[j] = flags
        }

        // 2. Promote the disk-only prefix keys as one batch.
        if promoteCount > 0 {
            if core.makeRoom(promoteCount) {
                if DataPath.prefetchesLoads {
                    prefix = promotePrefetched(keys, prefix: prefix, requestCount: n)
                } else {
                    for j in 0..<prefix where requestFlags[j] == Self.firstFlag {
                        if !promote(position: j, requestCount: n) {
                            prefix = j
                            break
                        }
                    }
                }
            } else {
                counters.pointee.promoteFailed += 1
                var cut = 0
                while requestFlags[cut] & Self.inPrimaryFlag != 0 { cut += 1 }
                prefix = cut
            }
        }

        // 3. Hits and misses: prefix keys in primary at the start hit primary, the rest of
        // the prefix (promoted, or repeats of a promoted key) hit disk.
        var primaryHits = 0
        for j in 0..<prefix where requestFlags[j] & Self.inPrimaryFlag != 0 { primaryHits &+= 1 }
        counters.pointee.hitPrimary += primaryHits
        counters.pointee.hitDisk += prefix - primaryHits
        counters.pointee.miss += n - prefix

        // 4. Touch the prefix in reverse, both tiers: the first key ends most recent.
        var j = prefix - 1
        while j >= 0 {
            core.touch(requestSlots[j])
            j -= 1
        }

        // 5. Store the rest that is not in primary, first occurrences, as one batch.
        var storeCount = 0
        for j in prefix..<n where requestFlags[j] & Self.firstFlag != 0 {
            let slot = requestSlots[j]
            if slot < 0 || dir.row(slot) < 0 { storeCount += 1 }
        }
        guard storeCount > 0 else { return }
        guard core.makeRoom(storeCount) else {
            counters.pointee.storeSkipped += storeCount
            return
        }
        for j in prefix..<n where requestFlags[j] & Self.firstFlag != 0 {
            var slot = requestSlots[j]
            if slot >= 0 && dir.row(slot) >= 0 { continue }
            let key = keys.key(j)
            if slot < 0 {
                slot = dir.insert(key)
                dir.protect(slot)
                requestSlots[j] = slot
            }
            let row = dir.attachPrimary(slot, refCount: 0)
            counters.pointee.stored += 1
            core.dataPath.writeRow(key, row: row)
            if core.policy == .writeThrough { core.writeToDisk(slot, row: row) }
        }
    }

    /// Promotes the disk-only block at request position `j` into a fresh row (room was made).
    /// Returns false when the disk read failed; the block is then gone from the directory.
    private func promote(position j: Int, requestCount n: Int) -> Bool {
        _ = core.beginPromotion(requestSlots[j])
        return finishPromotion(position: j, requestCount: n)
    }

    /// The promotion batch for a data path that prefetches: every disk-only prefix key gets
    /// its row (in prefix order, as `promote` would hand them out) and a `prefetchLoad`
    /// first, then each load is finished in order. A failed load cuts the prefix there, as in
    /// the one-at-a-time loop; the later keys of the batch give their rows back
    /// (`rowFreed`) and stay disk-only. Returns the (possibly cut) prefix length.
    private func promotePrefetched(_ keys: some RequestKeys, prefix: Int, requestCount n: Int) -> Int {
        let core = self.core
        for j in 0..<prefix where requestFlags[j] == Self.firstFlag {
            let slot = requestSlots[j]
            let row = core.beginPromotion(slot)
            core.dataPath.prefetchLoad(keys.key(j), record: core.directory.diskRecord(slot), row: row)
        }
        var cut = -1
        for j in 0..<prefix where requestFlags[j] == Self.firstFlag {
            if cut >= 0 {
                core.abandonPromotion(requestSlots[j])
                continue
            }
            if !finishPromotion(position: j, requestCount: n) { cut = j }
        }
        return cut >= 0 ? cut : prefix
    }

    /// Reads the block at request position `j` (being promoted) and settles it: readable on
    /// success; on failure it is dropped from both tiers and its later positions in the
    /// request forget the slot (returns false).
    private func finishPromotion(position j: Int, requestCount n: Int) -> Bool {
        let slot = requestSlots[j]
        if core.readPromotion(slot) { return true }
        for k in j..<n where requestSlots[k] == slot { requestSlots[k] = BlockDirectory.noSlot }
        return false
    }
}
