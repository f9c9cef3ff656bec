// The synchronous facade of the disk tier (one block at a time) plus inspect and verify.

extension DiskTier {
    /// Stores `bytes` under `key` and waits for the outcome. Async jobs in flight keep
    /// running; their completions stay queued for `poll`/`wait`.
    /// - Throws: `DiskTierError.backend` only when the backend itself fails.
    public func store(key: BlockKey, bytes: UnsafeRawBufferPointer) throws -> DiskStoreOutcome {
        facadeOutcome = nil
        while !submitStore(key: key, bytes: bytes, token: 0, isFacade: true) {
            try pump(minimum: 1)
        }
        while facadeOutcome == nil { try pump(minimum: 1) }
        guard case .store(let outcome) = facadeOutcome! else {
            preconditionFailure("store got a load outcome")
        }
        return outcome
    }

    /// Loads `key` into `buffer` and waits: `.loaded(byteCount:)` with verified bytes,
    /// `.miss`, or `.failed(cause)` (the block was removed unless the cause is
    /// `bufferTooSmall`).
    public func load(key: BlockKey, into buffer: UnsafeMutableRawBufferPointer) throws
        -> DiskLoadOutcome
    {
        facadeOutcome = nil
        while !submitLoad(key: key, into: buffer, token: 0, isFacade: true) { try pump(minimum: 1) }
        while facadeOutcome == nil { try pump(minimum: 1) }
        guard case .load(let outcome) = facadeOutcome! else {
            preconditionFailure("load got a store outcome")
        }
        return outcome
    }

    /// Space and contents: capacity, used bytes, blocks, codec mix and compression ratio.
    public func inspect() -> DiskTierInspection {
        var byCodec: [DiskCodec: Int] = [:]
        for codec in DiskCodec.allCases { byCodec[codec] = 0 }
        var raw = 0
        var stored = 0
        var slot = table.leastRecent
        while slot >= 0 {
            let entry = table.entries[Int(slot)]
            byCodec[entry.codec, default: 0] += 1
            raw += Int(entry.rawLength)
            stored += Int(entry.storedLength)
            slot = table.moreRecent(slot)
        }
        return DiskTierInspection(
            capacityBytes: capacityBytes, usedBytes: usedBytes, pageBytes: DiskLayout.pageBytes,
            blocks: table.liveCount, blocksByCodec: byCodec, rawBytes: raw, storedBytes: stored,
            compressionRatio: stored > 0 ? Double(raw) / Double(stored) : 1,
            checkpointGeneration: checkpointGeneration,
            journalBatches: journal.baseGeneration == checkpointGeneration
                ? Int(journal.nextBatch) - 1 : 0,
            usedBytesPerFile: dataFiles.indices.map { usedBytes(inFile: $0) })
    }

    /// Reads every readable block through the verified load path (queue-depth loads in
    /// flight) and classifies it. Blocks that fail are removed like any failed load (until
    /// the next `sync()` this changes only memory). With `expected`, a block that passes
    /// its checks is also compared with the deterministic payload of its key and length.
    /// Async jobs of the caller still in flight are finished first; their completions stay
    /// queued for `poll`/`wait`.
    public func verify(expected: PayloadKind? = nil) throws -> DiskVerifyReport {
        // The caller's completions must neither be mistaken for verify's own (their tokens
        // are not lanes) nor be lost: set them aside and put them back at the end.
        var callerCompletions: [DiskCompletion] = []
        try waitForAll(into: &callerCompletions)
        defer { ready.insert(contentsOf: callerCompletions, at: 0) }
        var report = DiskVerifyReport()
        let keys = keysLeastRecentFirst()
        report.blocks = keys.count
        let lanes = jobs.count
        let laneBytes = max(blockByteCountMax, 1)
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: laneBytes * lanes, alignment: 64)
        defer { buffers.deallocate() }
        var freeLanes = Array((0..<lanes).reversed())
        var completions: [DiskCompletion] = []
        var next = 0
        var outstanding = 0
        // Tokens carry the lane in the low 32 bits; internal, so they never reach a caller.
        while next < keys.count || outstanding > 0 {
            while next < keys.count, let lane = freeLanes.last {
                let buffer = UnsafeMutableRawBufferPointer(
                    start: buffers + lane * laneBytes, count: laneBytes)
                guard
                    submitLoad(key: keys[next], into: buffer, token: UInt64(lane), isFacade: false)
                else { break }
                freeLanes.removeLast()
                next += 1
                outstanding += 1
            }
            completions.removeAll(keepingCapacity: true)
            try wait(into: &completions, minimum: 1)
            for completion in completions {
                let lane = Int(completion.token)
                freeLanes.append(lane)
                outstanding -= 1
                guard case .load(let outcome) = completion.outcome else { continue }
                switch outcome {
                case .loaded(let byteCount):
                    if let kind = expected,
                        !PayloadGenerator.matches(
                            UnsafeRawBufferPointer(
                                start: buffers + lane * laneBytes, count: byteCount),
                            key: completion.key, kind: kind)
                    {
                        report.patternMismatch += 1
                    } else {
                        report.verified += 1
                    }
                case .miss:
                    report.unreadable += 1
                case .failed(let failure):
                    switch failure {
                    case .checksumMismatch, .keyMismatch, .staleRecord: report.corrupt += 1
                    case .shortRead, .ioError, .bufferTooSmall: report.unreadable += 1
                    }
                }
            }
        }
        return report
    }
}
