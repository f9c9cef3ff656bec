// The async job form of the disk tier: submit stores and loads with caller tokens, then
// poll or wait for per-block completions.
import CSpillwayCompute

extension DiskTier {
    /// Submits a store of `bytes` under `key` (replacing any readable block of that key).
    ///
    /// `bytes` is copied into a staging buffer before this returns (and compressed there,
    /// inline or by the encoder, `useEncoder`), so the caller may reuse it at once, except
    /// with `zeroCopy` on, where a page-aligned raw block is written straight from `bytes`
    /// and the encoder reads a block to compress from `bytes` itself: then they must stay
    /// valid and untouched until the job completes. With a codec on, a block is stored raw
    /// when the encoder is behind (`DiskTierStats.blocksStoredRawBackpressure`). Failures
    /// known at once (too large, no room, busy) are completions too: every accepted job
    /// completes exactly once through `poll`/`wait`.
    /// - Returns: false, accepting nothing, when every job slot is in use: poll or wait,
    ///   then submit again.
    public func submitStore(key: BlockKey, bytes: UnsafeRawBufferPointer, token: UInt64) -> Bool {
        submitStore(key: key, bytes: bytes, token: token, isFacade: false)
    }

    /// Submits a load of `key` into `buffer`, which must stay valid and untouched until the
    /// job completes and be at least the block's raw length. On `.loaded(byteCount:)` the
    /// first `byteCount` bytes are the verified block. Loads do not change recency (use
    /// `touch`).
    /// - Returns: false, accepting nothing, when every job slot is in use.
    public func submitLoad(key: BlockKey, into buffer: UnsafeMutableRawBufferPointer, token: UInt64)
        -> Bool
    {
        submitLoad(key: key, into: buffer, token: token, isFacade: false)
    }

    /// Makes progress without waiting and appends every finished job to `completions`.
    /// - Returns: how many were appended.
    /// - Throws: `DiskTierError` when the backend itself fails (not a per-block failure).
    @discardableResult
    public func poll(into completions: inout [DiskCompletion]) throws -> Int {
        try pump(minimum: 0)
        return takeReady(into: &completions)
    }

    /// Waits until at least `minimum` finished jobs are available (or none is in flight),
    /// then appends every finished job to `completions`.
    @discardableResult
    public func wait(into completions: inout [DiskCompletion], minimum: Int = 1) throws -> Int {
        while ready.count < minimum, inFlightJobCount > 0 {
            try pump(minimum: 1)
        }
        return takeReady(into: &completions)
    }

    /// Waits until no job is in flight, then appends every finished job to `completions`.
    @discardableResult
    public func waitForAll(into completions: inout [DiskCompletion]) throws -> Int {
        while inFlightJobCount > 0 { try pump(minimum: 1) }
        return takeReady(into: &completions)
    }

    func takeReady(into completions: inout [DiskCompletion]) -> Int {
        let count = ready.count
        completions.append(contentsOf: ready)
        ready.removeAll(keepingCapacity: true)
        return count
    }

    func finish(token: UInt64, key: BlockKey, outcome: DiskJobOutcome, isFacade: Bool) {
        if isFacade {
            facadeOutcome = outcome
        } else {
            ready.append(DiskCompletion(token: token, key: key, outcome: outcome))
        }
    }

    func submitStore(key: BlockKey, bytes: UnsafeRawBufferPointer, token: UInt64, isFacade: Bool)
        -> Bool
    {
        precondition(!isClosed, "store on a closed disk tier")
        guard roomBesideStraySyncs() else { return false }
        if bytes.count > blockByteCountMax {
            stats.stores += 1
            stats.storeFailures += 1
            finish(token: token, key: key, outcome: .store(.failed(.tooLarge)), isFacade: isFacade)
            return true
        }
        if let slot = table.lookup(key), table.entries[Int(slot)].state == .writing {
            stats.stores += 1
            stats.storeFailures += 1
            finish(token: token, key: key, outcome: .store(.failed(.busy)), isFacade: isFacade)
            return true
        }
        guard let jobIndex = freeJobs.popLast() else { return false }
        stats.stores += 1
        let wantsEncode = codec != .none && bytes.count > 0
        // Why a row with a codec on is stored raw: the recent rows did not compress (the
        // gate), or the encoders are behind and waiting would cost throughput.
        var isIncompressible = false
        if wantsEncode && !encoder.isBehind {
            // The gate is asked only when the row could be encoded now, so a probe row is
            // never lost to backpressure.
            if !compressionGate.admits() {
                isIncompressible = true
            } else {
                startEncode(jobIndex, key: key, bytes: bytes, token: token, isFacade: isFacade)
                // An inline encoder has finished already: its write starts before this returns.
                collectEncodes()
                return true
            }
        }
        // Raw: no codec, rows not compressing lately, or the encoders are behind.
        let buffer = stagingBuffer(jobIndex)
        let isZeroCopy = canMoveInPlace(bytes.baseAddress, count: bytes.count)
        let header: DiskRecordHeader
        if isZeroCopy {
            // The header alone in the staging page; the payload goes from the caller's
            // memory (checksummed in place, never copied).
            header = DiskRecordHeader(
                key: key, codec: .none, rawLength: bytes.count, storedLength: bytes.count,
                payloadCRC: CRC32C.checksum(bytes), sequence: nextSequence,
                separateHeaderPage: true)
        } else {
            // A raw payload is copied and checksummed in one pass over the row.
            header = DiskRecordHeader(
                key: key, codec: .none, rawLength: bytes.count, storedLength: bytes.count,
                payloadCRC: CRC32C.copyAndChecksum(
                    from: bytes, to: buffer + DiskRecordHeader.byteCount),
                sequence: nextSequence)
        }
        nextSequence += 1
        // A store replaces: the old copy goes first so its pages can hold the new one.
        if let old = table.lookup(key) { drop(old) }
        let slot = table.allocateSlot()
        table.entries[Int(slot)] = DiskEntry(
            key: key, sequence: header.sequence, rawLength: UInt32(header.rawLength),
            state: .writing)
        table.insertKey(slot)
        jobs[Int(jobIndex)] = DiskJob(
            kind: .store, token: token, key: key, slot: slot, isFacade: isFacade)
        guard let pageCount = placeStore(jobIndex, header: header) else { return true }
        if isIncompressible {
            countRawIncompressible(pages: pageCount)
        } else if wantsEncode {
            countRawBackpressure(pages: pageCount)
        }
        if isZeroCopy {
            // Payload first, header page last: until the header lands, the extent cannot
            // pass for this record.
            jobs[Int(jobIndex)].isZeroCopy = true
            jobs[Int(jobIndex)].isZeroCopyPayload = true
            jobs[Int(jobIndex)].buffer = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
            jobs[Int(jobIndex)].transferOffset += UInt64(DiskLayout.pageBytes)
            jobs[Int(jobIndex)].bufferIndex = -1
            jobs[Int(jobIndex)].length = bytes.count
        }
        prepareTransfer(jobIndex)
        return true
    }

    /// Gives a store job whose payload is ready (staged behind its header, or in the
    /// caller's memory for a zero-copy record) its extent, records it in its slot (made
    /// `.writing` under its key at submit), writes the header into staging and sets up the
    /// record's transfer, not yet prepared. Returns the extent's page count, or nil when no
    /// room could be made: then the store failed, its slot and job are released.
    func placeStore(_ jobIndex: Int32, header: DiskRecordHeader) -> Int? {
        let job = jobs[Int(jobIndex)]
        let pageCount = DiskLayout.recordPageCount(
            storedLength: header.storedLength, separateHeaderPage: header.separateHeaderPage)
        guard let (fileIndex, pageIndex) = allocatePages(pageCount) else {
            table.removeKey(job.key)
            table.releaseSlot(job.slot)
            releaseJob(jobIndex)
            stats.storeFailures += 1
            finish(
                token: job.token, key: job.key, outcome: .store(.failed(.noRoom)),
                isFacade: job.isFacade)
            return nil
        }
        table.entries[Int(job.slot)] = DiskEntry(
            key: job.key, sequence: header.sequence, pageIndex: Int32(pageIndex),
            fileIndex: UInt8(fileIndex), pageCount: Int32(pageCount),
            rawLength: UInt32(header.rawLength), storedLength: UInt32(header.storedLength),
            payloadCRC: header.payloadCRC, codec: header.codec, state: .writing,
            separateHeaderPage: header.separateHeaderPage)
        let buffer = stagingBuffer(jobIndex)
        var header = header
        header.fileIndex = fileIndex
        header.encode(into: buffer)
        let recordBytes =
            header.separateHeaderPage
            ? DiskRecordHeader.byteCount : DiskRecordHeader.byteCount + header.storedLength
        let writeLength =
            header.separateHeaderPage
            ? DiskLayout.pageBytes : DiskLayout.roundUp(recordBytes, to: alignment)
        if writeLength > recordBytes {
            (buffer + recordBytes).initializeMemory(
                as: UInt8.self, repeating: 0, count: writeLength - recordBytes)
        }
        jobs[Int(jobIndex)].fileIndex = UInt8(fileIndex)
        jobs[Int(jobIndex)].deviceBytes = pageCount * DiskLayout.pageBytes
        allocator.bytesInFlight[fileIndex] += pageCount * DiskLayout.pageBytes
        jobs[Int(jobIndex)].fileOffset = UInt64(pageIndex) * UInt64(DiskLayout.pageBytes)
        jobs[Int(jobIndex)].transferOffset = jobs[Int(jobIndex)].fileOffset
        jobs[Int(jobIndex)].buffer = buffer
        jobs[Int(jobIndex)].bufferIndex = buffersRegistered ? jobIndex : -1
        jobs[Int(jobIndex)].length = writeLength
        return pageCount
    }

    /// Whether `count` bytes at `pointer` can go to or from the device in place: zero-copy
    /// on, whole pages, aligned for the backend (any address with buffered I/O).
    func canMoveInPlace(_ pointer: UnsafeRawPointer?, count: Int) -> Bool {
        guard zeroCopy, let pointer, count > 0, count % DiskLayout.pageBytes == 0 else {
            return false
        }
        return Int(bitPattern: pointer) % alignment == 0
    }

    /// Switches a zero-copy job from its payload to its header page (in its staging
    /// buffer). Returns false when the job had no header transfer left.
    func startHeaderTransfer(_ jobIndex: Int32) -> Bool {
        guard jobs[Int(jobIndex)].isZeroCopyPayload else { return false }
        jobs[Int(jobIndex)].isZeroCopyPayload = false
        jobs[Int(jobIndex)].bytesMoved += jobs[Int(jobIndex)].length
        jobs[Int(jobIndex)].buffer = stagingBuffer(jobIndex)
        jobs[Int(jobIndex)].transferOffset = jobs[Int(jobIndex)].fileOffset
        jobs[Int(jobIndex)].bufferIndex = buffersRegistered ? jobIndex : -1
        jobs[Int(jobIndex)].length = DiskLayout.pageBytes
        jobs[Int(jobIndex)].transferred = 0
        return true
    }

    func submitLoad(
        key: BlockKey, into buffer: UnsafeMutableRawBufferPointer, token: UInt64, isFacade: Bool
    ) -> Bool {
        precondition(!isClosed, "load on a closed disk tier")
        guard roomBesideStraySyncs() else { return false }
        guard let slot = table.lookup(key), table.entries[Int(slot)].state == .live else {
            stats.loads += 1
            stats.misses += 1
            finish(token: token, key: key, outcome: .load(.miss), isFacade: isFacade)
            return true
        }
        let entry = table.entries[Int(slot)]
        if buffer.count < Int(entry.rawLength) {
            stats.loads += 1
            stats.loadFailures += 1
            finish(
                token: token, key: key,
                outcome: .load(.failed(.bufferTooSmall(needed: Int(entry.rawLength)))),
                isFacade: isFacade)
            return true
        }
        guard let jobIndex = freeJobs.popLast() else { return false }
        stats.loads += 1
        table.entries[Int(slot)].pinCount += 1
        var job = DiskJob(
            kind: .load, token: token, key: key, slot: slot, destination: buffer.baseAddress,
            fileIndex: entry.fileIndex,
            fileOffset: UInt64(entry.pageIndex) * UInt64(DiskLayout.pageBytes),
            deviceBytes: Int(entry.pageCount) * DiskLayout.pageBytes, isFacade: isFacade)
        allocator.bytesInFlight[Int(entry.fileIndex)] += job.deviceBytes
        if entry.separateHeaderPage, entry.codec == .none,
            canMoveInPlace(buffer.baseAddress, count: Int(entry.storedLength))
        {
            // Payload straight into the caller's memory, then the header page into staging;
            // the payload's CRC is checked in place before the load succeeds.
            job.isZeroCopy = true
            job.isZeroCopyPayload = true
            job.buffer = buffer.baseAddress
            job.transferOffset = job.fileOffset + UInt64(DiskLayout.pageBytes)
            job.length = Int(entry.storedLength)
        } else {
            let payloadOffset =
                entry.separateHeaderPage ? DiskLayout.pageBytes : DiskRecordHeader.byteCount
            job.buffer = stagingBuffer(jobIndex)
            job.transferOffset = job.fileOffset
            job.bufferIndex = buffersRegistered ? jobIndex : -1
            job.length = DiskLayout.roundUp(payloadOffset + Int(entry.storedLength), to: alignment)
        }
        jobs[Int(jobIndex)] = job
        prepareTransfer(jobIndex)
        return true
    }

    /// Prepares the remaining part of a job's transfer. Each job has at most one request
    /// outstanding and jobs plus a failed sync's fdatasyncs still out never outnumber the
    /// queue depth (`roomBesideStraySyncs`), so prepare cannot be refused.
    func prepareTransfer(_ jobIndex: Int32) {
        let job = jobs[Int(jobIndex)]
        let request = IORequest(
            kind: job.kind == .store ? .write : .read, file: dataFiles[Int(job.fileIndex)],
            offset: job.transferOffset + UInt64(job.transferred),
            buffer: job.buffer! + job.transferred, length: job.length - job.transferred,
            registeredBufferIndex: job.bufferIndex, userData: UInt64(jobIndex))
        let accepted = io.prepare(request)
        precondition(accepted, "backend refused a request below its queue depth")
        needsSubmit = true
    }

    /// Submits what is prepared, reaps at least `minimum` completions and handles them.
    /// A submit that throws leaves its requests prepared (IOBackend contract), so
    /// `needsSubmit` is cleared only after a submit succeeded: the next pump retries it.
    /// Completions tagged in the sync range belong to a failed sync's data-file fdatasyncs,
    /// never to a job: they are discarded (`discardDataSync`). Completions a failing reap
    /// handed over are handled before the failure is thrown.
    ///
    /// Finished encodes are taken first and their writes started. While encodes are
    /// outstanding and no transfer is, the device has nothing to complete: encodes not
    /// started yet are taken back and stored raw, else the wait is for the encoder. (With both outstanding the wait is for the device: an encode
    /// that finishes meanwhile starts its write at the next completion.)
    func pump(minimum: Int) throws {
        var minimum = minimum
        if encodingJobCount > 0 {
            if collectEncodes() > 0 {
                minimum = 0
            } else if minimum > 0, inFlightJobCount == encodingJobCount {
                // The device is idle, waiting for the encoder: rows not started go raw.
                if reclaimEncodes() == 0 { collectEncodes(waiting: true) }
                minimum = 0
            }
        }
        do {
            if needsSubmit {
                try io.submit()
                needsSubmit = false
            }
            reaped.removeAll(keepingCapacity: true)
            // A reap that fails may have handed over completions first: they are the
            // device's last word on those requests, so they are handled before it rethrows.
            var reapFailure: (any Error)?
            do { try io.reap(into: &reaped, minimum: minimum) } catch { reapFailure = error }
            for completion in reaped {
                // A failed sync's fdatasync (tag at the top of the range): no job's.
                if dataSyncIndex(completion.userData) != nil {
                    discardDataSync(completion)
                } else {
                    handle(completion)
                }
            }
            if let reapFailure { throw reapFailure }
            if needsSubmit {
                try io.submit()
                needsSubmit = false
            }
        } catch let error as IOBackendError {
            throw DiskTierError(.backend, "disk tier I/O backend failed: \(error)")
        }
    }
}
