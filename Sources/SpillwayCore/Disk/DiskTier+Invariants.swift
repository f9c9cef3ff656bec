// Structural invariants of the disk tier, checked by tests after every step.

extension DiskTier {
    /// Traps when an internal invariant is broken: page accounting matches the extents,
    /// extents do not overlap and stay inside the capacity, the key map and the LRU list
    /// agree with slot states, and jobs, pins and staging buffers are all accounted for.
    package func checkInvariants() {
        let pageCount = allocator.pagesPerFile
        var shadows = Array(
            repeating: DiskPageAllocator(pageCount: pageCount), count: allocator.fileCount)
        var counts = [0, 0, 0, 0]  // free, writing, live, doomed
        var pins = 0
        for (index, entry) in table.entries.enumerated() {
            counts[Int(entry.state.rawValue)] += 1
            pins += Int(entry.pinCount)
            if entry.state == .free {
                precondition(entry.pinCount == 0, "free slot \(index) is pinned")
                continue
            }
            precondition(
                Int(entry.pageIndex) + Int(entry.pageCount) <= pageCount
                    && Int(entry.fileIndex) < allocator.fileCount,
                "extent of slot \(index) past capacity")
            if entry.pageCount == 0 {
                // Only a store waiting for its encode has no extent yet.
                precondition(entry.state == .writing, "slot \(index) has no extent")
            } else {
                shadows[Int(entry.fileIndex)].markUsed(
                    start: Int(entry.pageIndex), count: Int(entry.pageCount))  // traps on overlap
            }
            if entry.state == .doomed {
                precondition(entry.pinCount > 0, "doomed slot \(index) without a reader")
                precondition(
                    table.lookup(entry.key) != Int32(index), "doomed slot \(index) still indexed")
            } else {
                precondition(
                    table.lookup(entry.key) == Int32(index),
                    "slot \(index) not indexed under its key")
            }
            if entry.state == .writing {
                precondition(entry.pinCount == 0, "slot being written is pinned")
            }
        }
        for (file, shadow) in shadows.enumerated() {
            let allocator = allocator.files[file]
            precondition(
                shadow.usedPageCount == allocator.usedPageCount,
                "file \(file): allocator counts \(allocator.usedPageCount) pages, extents hold \(shadow.usedPageCount)"
            )
            precondition(
                allocator.countUsedPages() == allocator.usedPageCount,
                "file \(file): allocator bitmap disagrees with its count")
            precondition(
                shadow.words == allocator.words, "file \(file): allocator bitmap differs from the extents")
        }
        precondition(
            usedBytes <= capacityBytes, "used \(usedBytes) bytes above capacity \(capacityBytes)")
        precondition(
            table.keyCount == counts[1] + counts[2]
                && table.occupiedBucketCount == table.keyCount,
            "key map has \(table.keyCount) keys, \(counts[1] + counts[2]) writing or live slots")
        precondition(
            table.liveCount == counts[2], "live count \(table.liveCount) != live slots \(counts[2])"
        )
        var walked = 0
        var changed = 0
        var previous: Int32 = -1
        var slot = table.leastRecent
        while slot >= 0 {
            let entry = table.entries[Int(slot)]
            precondition(entry.state == .live, "LRU list holds a slot that is not live")
            precondition(table.lessRecent(slot) == previous, "LRU back link broken at slot \(slot)")
            walked += 1
            precondition(walked <= table.liveCount, "LRU list has a cycle")
            // Entries stored or touched since the last sync form the most-recent end: the
            // journal batch lists exactly them.
            precondition(
                entry.changedSinceSync || changed == 0,
                "an unchanged entry is more recent than a changed one at slot \(slot)")
            if entry.changedSinceSync { changed += 1 }
            previous = slot
            slot = table.moreRecent(slot)
        }
        precondition(
            previous == table.mostRecent && walked == table.liveCount,
            "LRU list length \(walked) != live count")
        precondition(
            changed == journal.changedLiveCount,
            "\(changed) changed entries, the journal counts \(journal.changedLiveCount)")
        var freeWalked = 0
        var free = table.freeSlotHead
        while free >= 0 {
            precondition(table.entries[Int(free)].state == .free, "free list holds a used slot")
            freeWalked += 1
            precondition(freeWalked <= counts[0], "free slot list has a cycle")
            free = table.nextFree(free)
        }
        precondition(freeWalked == counts[0], "free slot list misses slots")
        var loadJobs = 0
        var storeJobs = 0
        var encoding = 0
        var inFlight = Array(repeating: 0, count: allocator.fileCount)
        for job in jobs {
            inFlight[Int(job.fileIndex)] += job.deviceBytes
            switch job.kind {
            case .idle: break
            case .load: loadJobs += 1
            case .store:
                storeJobs += 1
                precondition(
                    table.entries[Int(job.slot)].state == .writing,
                    "store job on a slot not being written")
                if job.isEncoding { encoding += 1 }
                precondition(
                    job.isEncoding == (table.entries[Int(job.slot)].pageCount == 0),
                    "a store has an extent exactly when its encode is back")
            }
        }
        precondition(
            inFlight == allocator.bytesInFlight,
            "bytes in flight per file \(allocator.bytesInFlight), jobs hold \(inFlight)")
        precondition(
            loadJobs + storeJobs == inFlightJobCount,
            "jobs in flight \(loadJobs + storeJobs) != \(inFlightJobCount) taken slots")
        precondition(
            encoding == encodingJobCount, "\(encoding) jobs encoding, \(encodingJobCount) counted")
        precondition(Set(freeJobs).count == freeJobs.count, "a job slot is free twice")
        precondition(pins == loadJobs, "\(pins) pins for \(loadJobs) loads in flight")
        precondition(
            storeJobs == counts[1], "\(counts[1]) slots being written, \(storeJobs) store jobs")
    }
}
