// The async job form of the disk tier: submit stores and loads with caller tokens, then
// poll or wait for per-block completions.
import CSpillwayCompute

extension DiskTier {
    /// Submits a store of `bytes` under `key` (replacing any readable block of that key).
    ///
    /// `bytes` is copied (or compressed) into a staging buffer before this returns, so the
    /// caller may reuse it at once. Failures known at once (too large, no room, busy) are
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
        let header = encode(key: key, bytes: bytes, into: buffer)
        let recordBytes = DiskRecordHeader.byteCount + header.storedLength
        let writeLength = DiskLayout.roundUp(recordBytes, to: alignment)
        if writeLength > recordBytes {
            (buffer + recordBytes).initializeMemory(
                as: UInt8.self, repeating: 0, count: writeLength - recordBytes)
        }
        let pageCount =
            DiskLayout.roundUp(recordBytes, to: DiskLayout.pageBytes) / DiskLayout.pageBytes
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
            payloadCRC: header.payloadCRC, codec: header.codec, state: .writing)
        table.insertKey(slot)
        jobs[Int(jobIndex)] = DiskJob(
            kind: .store, token: token, key: key, slot: slot, destination: nil,
            fileOffset: UInt64(pageIndex) * UInt64(DiskLayout.pageBytes), length: writeLength,
            transferred: 0, attempts: 0, isFacade: isFacade)
        prepareTransfer(jobIndex)
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
        let readLength = DiskLayout.roundUp(
            DiskRecordHeader.byteCount + Int(entry.storedLength), to: alignment)
        jobs[Int(jobIndex)] = DiskJob(
            kind: .load, token: token, key: key, slot: slot, destination: buffer.baseAddress,
            fileOffset: UInt64(entry.pageIndex) * UInt64(DiskLayout.pageBytes), length: readLength,
            transferred: 0, attempts: 0, isFacade: isFacade)
        prepareTransfer(jobIndex)
        return true
    }

    /// Prepares the remaining part of a job's transfer. Each job has at most one request
    /// outstanding and jobs never outnumber the queue depth, so prepare cannot be refused.
    func prepareTransfer(_ jobIndex: Int32) {
        let job = jobs[Int(jobIndex)]
        let request = IORequest(
            kind: job.kind == .store ? .write : .read, file: dataFile,
            offset: job.fileOffset + UInt64(job.transferred),
            buffer: stagingBuffer(jobIndex) + job.transferred, length: job.length - job.transferred,
            registeredBufferIndex: buffersRegistered ? jobIndex : -1, userData: UInt64(jobIndex))
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
