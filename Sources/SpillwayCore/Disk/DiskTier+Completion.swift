// Completion handling of the disk tier: short-transfer resubmission, bounded retries, and
// the verification every load passes before its bytes reach the caller.
import CSpillwayCompute

extension DiskTier {
    /// Resubmissions of one job's remainder before it fails. Each short transfer moved at
    /// least one byte (one alignment unit with direct I/O), so progress is guaranteed; the
    /// bound only stops a device that keeps returning tiny transfers.
    static var attemptCountMax: Int { 64 }

    func handle(_ completion: IOCompletion) {
        let jobIndex = Int32(truncatingIfNeeded: completion.userData)
        precondition(
            jobIndex >= 0 && Int(jobIndex) < jobs.count && jobs[Int(jobIndex)].kind != .idle,
            "completion for no job in flight (userData \(completion.userData))")
        let result = completion.result
        var job = jobs[Int(jobIndex)]
        // EINTR (4) / EAGAIN (11): nothing moved, retry the same remainder.
        if result == -4 || result == -11, job.attempts < Self.attemptCountMax {
            jobs[Int(jobIndex)].attempts += 1
            stats.retries += 1
            prepareTransfer(jobIndex)
            return
        }
        if result < 0 {
            fail(jobIndex, errno: -result, shortRead: false)
            return
        }
        job.transferred += Int(result)
        if job.transferred < job.length {
            // Zero bytes (end of file) or a remainder direct I/O cannot address: give up.
            let aligned = job.transferred % alignment == 0
            if result == 0 || !aligned || job.attempts >= Self.attemptCountMax {
                fail(jobIndex, errno: 5, shortRead: job.kind == .load)
                return
            }
            job.attempts += 1
            jobs[Int(jobIndex)] = job
            stats.resubmissions += 1
            prepareTransfer(jobIndex)
            return
        }
        jobs[Int(jobIndex)] = job
        // A zero-copy job moved its payload: now its header page.
        if startHeaderTransfer(jobIndex) {
            prepareTransfer(jobIndex)
            return
        }
        if job.kind == .store {
            completeStore(jobIndex)
        } else {
            completeLoad(jobIndex)
        }
    }

    func releaseJob(_ jobIndex: Int32) {
        let job = jobs[Int(jobIndex)]
        allocator.bytesInFlight[Int(job.fileIndex)] -= job.deviceBytes
        jobs[Int(jobIndex)] = DiskJob()
        freeJobs.append(jobIndex)
    }

    func completeStore(_ jobIndex: Int32) {
        let job = jobs[Int(jobIndex)]
        table.entries[Int(job.slot)].state = .live
        table.linkMostRecent(job.slot)
        noteLinked(job.slot)
        stats.bytesWritten += job.bytesMoved + job.length
        if job.isZeroCopy { stats.zeroCopyStores += 1 }
        releaseJob(jobIndex)
        finish(token: job.token, key: job.key, outcome: .store(.stored), isFacade: job.isFacade)
    }

    /// Fails a job: a store frees its extent and slot; a load counts the cause and drops the
    /// block.
    func fail(_ jobIndex: Int32, errno: Int32, shortRead: Bool) {
        let job = jobs[Int(jobIndex)]
        releaseJob(jobIndex)
        if job.kind == .store {
            table.removeKey(job.key)
            freeExtentAndSlot(job.slot)
            stats.storeFailures += 1
            let failure: DiskStoreFailure = errno == 28 ? .deviceFull : .ioError(errno: -errno)
            finish(
                token: job.token, key: job.key, outcome: .store(.failed(failure)),
                isFacade: job.isFacade)
        } else {
            let failure: DiskLoadFailure = shortRead ? .shortRead : .ioError(errno: -errno)
            failLoad(job, failure)
        }
    }

    func failLoad(_ job: DiskJob, _ failure: DiskLoadFailure) {
        stats.loadFailures += 1
        switch failure {
        case .checksumMismatch: stats.checksumMismatch += 1
        case .keyMismatch: stats.keyMismatch += 1
        case .staleRecord: stats.staleRecord += 1
        case .shortRead: stats.shortRead += 1
        case .ioError: stats.ioError += 1
        case .bufferTooSmall: break
        }
        // Drop the block unless it was already removed or replaced while we read.
        if table.entries[Int(job.slot)].state == .live {
            drop(job.slot)
        }
        unpin(job.slot)
        finish(
            token: job.token, key: job.key, outcome: .load(.failed(failure)), isFacade: job.isFacade
        )
    }

    func unpin(_ slot: Int32) {
        table.entries[Int(slot)].pinCount -= 1
        if table.entries[Int(slot)].state == .doomed, table.entries[Int(slot)].pinCount == 0 {
            freeExtentAndSlot(slot)
        }
    }

    func completeLoad(_ jobIndex: Int32) {
        let job = jobs[Int(jobIndex)]
        let entry = table.entries[Int(job.slot)]
        let buffer = UnsafeRawPointer(stagingBuffer(jobIndex))
        stats.bytesRead += job.bytesMoved + job.length
        let verdict =
            job.isZeroCopy
            ? verifyInPlace(header: buffer, entry: entry, payload: job.destination!)
            : verifyAndDecode(record: buffer, entry: entry, destination: job.destination!)
        releaseJob(jobIndex)
        if let failure = verdict {
            failLoad(job, failure)
            return
        }
        unpin(job.slot)
        stats.hits += 1
        if job.isZeroCopy { stats.zeroCopyLoads += 1 }
        finish(
            token: job.token, key: job.key,
            outcome: .load(.loaded(byteCount: Int(entry.rawLength))),
            isFacade: job.isFacade)
    }

    /// Checks a record's header against the index entry; nil when it is this record.
    func check(header record: UnsafeRawPointer, entry: DiskEntry) -> (
        DiskRecordHeader?, DiskLoadFailure?
    ) {
        guard let header = DiskRecordHeader.decode(from: record) else {
            return (nil, .checksumMismatch)
        }
        guard header.key == entry.key else { return (nil, .keyMismatch) }
        // Another data file's record at this offset (directories mixed up): not this one.
        guard header.fileIndex == Int(entry.fileIndex) else { return (nil, .staleRecord) }
        guard header.sequence == entry.sequence, header.codec == entry.codec,
            header.rawLength == Int(entry.rawLength),
            header.storedLength == Int(entry.storedLength),
            header.payloadCRC == entry.payloadCRC,
            header.separateHeaderPage == entry.separateHeaderPage
        else { return (nil, .staleRecord) }
        return (header, nil)
    }

    /// A zero-copy load: the header page is in staging, the raw payload already in the
    /// caller's memory. Returns the failure cause, or nil when the header is this record's
    /// and the payload's CRC32C (computed in place) matches.
    func verifyInPlace(
        header record: UnsafeRawPointer, entry: DiskEntry, payload: UnsafeMutableRawPointer
    ) -> DiskLoadFailure? {
        let (header, failure) = check(header: record, entry: entry)
        guard let header else { return failure }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: payload, count: header.storedLength))
        return crc == header.payloadCRC ? nil : .checksumMismatch
    }

    /// Checks a record read from disk against the index entry and, when every check
    /// passes, decodes its payload into `destination`. Returns the failure cause, or nil.
    func verifyAndDecode(
        record: UnsafeRawPointer, entry: DiskEntry, destination: UnsafeMutableRawPointer
    ) -> DiskLoadFailure? {
        let (checked, failure) = check(header: record, entry: entry)
        guard let header = checked else { return failure }
        let payload = record + header.payloadOffset
        let storedLength = header.storedLength
        let rawLength = header.rawLength
        if header.codec == .none {
            // One pass: copy and checksum together. On a mismatch the caller's buffer holds
            // unverified bytes but the load fails, so they are never reported as data.
            guard storedLength == rawLength else { return .checksumMismatch }
            let crc = CRC32C.copyAndChecksum(
                from: UnsafeRawBufferPointer(start: payload, count: storedLength),
                to: destination)
            return crc == header.payloadCRC ? nil : .checksumMismatch
        }
        guard
            CRC32C.checksum(UnsafeRawBufferPointer(start: payload, count: storedLength))
                == header.payloadCRC
        else {
            return .checksumMismatch
        }
        if header.codec == .lz4Shuffle2, rawLength > blockByteCountMax { return .checksumMismatch }
        guard header.codec.decodePayload(
            payload, storedLength: storedLength, into: destination, rawLength: rawLength,
            scratch: scratch)
        else { return .checksumMismatch }
        return nil
    }
}
