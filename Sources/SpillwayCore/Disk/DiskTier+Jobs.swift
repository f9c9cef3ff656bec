// The async job form of the disk tier: submit stores and loads with caller tokens, then
// poll or wait for per-block completions.
import CSpillwayCompute

extension DiskTier {
    /// Submits a store of `bytes` under `key` (replacing any readable block of that key).
    ///
    /// `bytes` is copied (or compressed) into a staging buffer before this returns, so the
    /// caller may reuse it at once, except with `zeroCopy` on, where a page-aligned raw
    /// block is written straight from `bytes`: then they must stay valid and untouched
    /// until the job completes. Failures known at once (too large, no room, busy) are
    /// completions too: every accepted job completes exactly once through `poll`/`wait`.
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
        let buffer = stagingBuffer(jobIndex)
        let isZeroCopy = canMoveInPlace(bytes.baseAddress, count: bytes.count) && codec == .none
        let header: DiskRecordHeader
        let writeLength: Int
        if isZeroCopy {
            // The header alone in the staging page; the payload goes from the caller's
            // memory (checksummed in place, never copied).
            header = DiskRecordHeader(
                key: key, codec: .none, rawLength: bytes.count, storedLength: bytes.count,
                payloadCRC: CRC32C.checksum(bytes), sequence: nextSequence,
                separateHeaderPage: true)
            nextSequence += 1
            header.encode(into: buffer)
            (buffer + DiskRecordHeader.byteCount).initializeMemory(
                as: UInt8.self, repeating: 0,
                count: DiskLayout.pageBytes - DiskRecordHeader.byteCount)
            writeLength = DiskLayout.pageBytes
        } else {
            header = encode(key: key, bytes: bytes, into: buffer)
            let recordBytes = DiskRecordHeader.byteCount + header.storedLength
            writeLength = DiskLayout.roundUp(recordBytes, to: alignment)
            if writeLength > recordBytes {
                (buffer + recordBytes).initializeMemory(
                    as: UInt8.self, repeating: 0, count: writeLength - recordBytes)
            }
        }
        let pageCount = DiskLayout.recordPageCount(
            storedLength: header.storedLength, separateHeaderPage: isZeroCopy)
        // A store replaces: the old copy goes first so its pages can hold the new one.
        if let old = table.lookup(key) { drop(old) }
        guard let pageIndex = allocatePages(pageCount) else {
            freeJobs.append(jobIndex)
            stats.storeFailures += 1
            finish(token: token, key: key, outcome: .store(.failed(.noRoom)), isFacade: isFacade)
            return true
        }
        let slot = table.allocateSlot()
        table.entries[Int(slot)] = DiskEntry(
            key: key, sequence: header.sequence, pageIndex: Int32(pageIndex),
            pageCount: Int32(pageCount),
            rawLength: UInt32(header.rawLength), storedLength: UInt32(header.storedLength),
            payloadCRC: header.payloadCRC, codec: header.codec, state: .writing,
            separateHeaderPage: isZeroCopy)
        table.insertKey(slot)
        var job = DiskJob(
            kind: .store, token: token, key: key, slot: slot,
            fileOffset: UInt64(pageIndex) * UInt64(DiskLayout.pageBytes), isFacade: isFacade)
        if isZeroCopy {
            // Payload first, header page last: until the header lands, the extent cannot
            // pass for this record.
            job.isZeroCopy = true
            job.isZeroCopyPayload = true
            job.buffer = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
            job.transferOffset = job.fileOffset + UInt64(DiskLayout.pageBytes)
            job.length = bytes.count
        } else {
            job.buffer = buffer
            job.transferOffset = job.fileOffset
            job.bufferIndex = buffersRegistered ? jobIndex : -1
            job.length = writeLength
        }
        jobs[Int(jobIndex)] = job
        prepareTransfer(jobIndex)
        return true
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

    /// Encodes header + payload of a block into `buffer` (a staging buffer) and returns the
    /// header. Compresses with `codec` when it gains at least `1 - compressionThreshold`.
    func encode(key: BlockKey, bytes: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawPointer)
        -> DiskRecordHeader
    {
        let rawLength = bytes.count
        let payload = buffer + DiskRecordHeader.byteCount
        var storedCodec = DiskCodec.none
        var storedLength = rawLength
        if codec != .none, rawLength > 0, let source = bytes.baseAddress {
            let capacity = Int(Double(rawLength) * compressionThreshold)
            let compressed = codec.encodePayload(
                source, rawLength: rawLength, into: payload, capacity: capacity, scratch: scratch)
            if compressed > 0 {
                storedCodec = codec
                storedLength = compressed
            }
        }
        // A raw payload is copied and checksummed in one pass over the row.
        let payloadCRC =
            storedCodec == .none
            ? CRC32C.copyAndChecksum(from: bytes, to: payload)
            : CRC32C.checksum(UnsafeRawBufferPointer(start: payload, count: storedLength))
        let header = DiskRecordHeader(
            key: key, codec: storedCodec, rawLength: rawLength, storedLength: storedLength,
            payloadCRC: payloadCRC, sequence: nextSequence)
        nextSequence += 1
        header.encode(into: buffer)
        return header
    }

    func submitLoad(
        key: BlockKey, into buffer: UnsafeMutableRawBufferPointer, token: UInt64, isFacade: Bool
    ) -> Bool {
        precondition(!isClosed, "load on a closed disk tier")
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
            fileOffset: UInt64(entry.pageIndex) * UInt64(DiskLayout.pageBytes),
            isFacade: isFacade)
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
    /// outstanding and jobs never outnumber the queue depth, so prepare cannot be refused.
    func prepareTransfer(_ jobIndex: Int32) {
        let job = jobs[Int(jobIndex)]
        let request = IORequest(
            kind: job.kind == .store ? .write : .read, file: dataFile,
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
    func pump(minimum: Int) throws {
        do {
            if needsSubmit {
                try io.submit()
                needsSubmit = false
            }
            reaped.removeAll(keepingCapacity: true)
            try io.reap(into: &reaped, minimum: minimum)
            for completion in reaped { handle(completion) }
            if needsSubmit {
                try io.submit()
                needsSubmit = false
            }
        } catch let error as IOBackendError {
            throw DiskTierError(.backend, "disk tier I/O backend failed: \(error)")
        }
    }
}
