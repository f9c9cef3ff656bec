// The encode stage of the disk tier's store path: a row to compress goes to the
// `DiskEncoder` with its job, and its extent is allocated and its write started once the
// encode is back, so the submitting thread never compresses (with a threaded encoder).

extension DiskTier {
    /// Hands this tier's payload encodes to `encoder` (default: an `InlineDiskEncoder`,
    /// which encodes inside `submitStore`). Only while no encode is outstanding; the
    /// encoder must take blocks of `blockByteCountMax` bytes.
    package func useEncoder(_ encoder: any DiskEncoder) {
        precondition(encodingJobCount == 0, "encoder swapped with encodes outstanding")
        precondition(
            encoder.blockByteCountMax >= blockByteCountMax,
            "encoder takes \(encoder.blockByteCountMax)-byte blocks, the tier \(blockByteCountMax)")
        self.encoder = encoder
    }

    /// Threads the encoder runs beside the owner's (0: it encodes inline).
    package var encoderThreadCount: Int { encoder.threadCount }

    /// Starts a store through the encoder: the key is taken (a `.writing` slot with no
    /// extent yet, so a second store of it is `busy` and loads miss) and the payload goes
    /// to the encoder, from the row copied into staging, or from the caller's row itself
    /// with `zeroCopy` (the caller keeps it untouched until the store completes) or with
    /// an encoder that `encodesInSubmit` (the encode reads it before this returns).
    func startEncode(
        _ jobIndex: Int32, key: BlockKey, bytes: UnsafeRawBufferPointer, token: UInt64,
        isFacade: Bool
    ) {
        let payload = stagingBuffer(jobIndex) + DiskRecordHeader.byteCount
        let source: UnsafeRawPointer
        if zeroCopy || encoder.encodesInSubmit {
            // The row is read where it is: the caller keeps it (zero-copy) or the encode is
            // over before `submitStore` returns (inline), so no copy into staging first.
            source = bytes.baseAddress!
        } else {
            payload.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            source = UnsafeRawPointer(payload)
        }
        // A store replaces: the old copy goes now, as with a raw store.
        if let old = table.lookup(key) { drop(old) }
        let slot = table.allocateSlot()
        table.entries[Int(slot)] = DiskEntry(
            key: key, sequence: nextSequence, rawLength: UInt32(bytes.count), state: .writing)
        nextSequence += 1
        table.insertKey(slot)
        jobs[Int(jobIndex)] = DiskJob(
            kind: .store, token: token, key: key, slot: slot, isEncoding: true,
            isFacade: isFacade)
        encodingJobCount += 1
        encoder.submit(
            DiskEncodeWork(
                tag: jobIndex, codec: codec, source: source, destination: payload,
                rawLength: bytes.count,
                capacity: Int(Double(bytes.count) * compressionThreshold)))
    }

    /// Takes the encodes finished so far (waiting for one with `waiting`) and starts their
    /// writes. Returns how many were taken.
    @discardableResult
    func collectEncodes(waiting: Bool = false) -> Int {
        guard encodingJobCount > 0 else { return 0 }
        encodeResults.removeAll(keepingCapacity: true)
        if waiting {
            encoder.waitFinished(into: &encodeResults)
        } else {
            encoder.takeFinished(into: &encodeResults)
        }
        for result in encodeResults { finishEncode(result) }
        return encodeResults.count
    }

    /// Takes back the encodes no encoder thread started and stores those rows raw (they
    /// count as backpressure). Returns how many.
    func reclaimEncodes() -> Int {
        var reclaimed: [DiskEncodeWork] = []
        encoder.reclaim(into: &reclaimed)
        for var work in reclaimed {
            // Codec none: `perform` leaves the raw bytes in staging with their CRC.
            work.codec = .none
            if let pageCount = startEncodedWrite(work.perform(scratch: scratch)) {
                countRawBackpressure(pages: pageCount)
            }
        }
        return reclaimed.count
    }

    /// Counts a row stored raw because the encoders were behind (only once it has its
    /// extent: a store that then fails for room is not counted).
    func countRawBackpressure(pages: Int) {
        stats.blocksStoredRawBackpressure += 1
        stats.bytesStoredRawBackpressure += pages * DiskLayout.pageBytes
    }

    /// Counts a row stored raw without an encode because the rows before it did not
    /// compress (`compressionGate` closed), with the capacity that estimate gives up.
    func countRawIncompressible(pages: Int) {
        let bytes = pages * DiskLayout.pageBytes
        stats.blocksStoredRawIncompressible += 1
        stats.bytesStoredRawIncompressible += bytes
        stats.estimatedBytesGivenUpIncompressible += Int(
            (Double(bytes) * compressionGate.estimatedSaving).rounded())
    }

    /// A finished encode: its stored payload is in staging; allocate the extent for its
    /// size, write the header, start the record's one write. The gate learns what it saved.
    func finishEncode(_ result: DiskEncodeResult) {
        // The tag is checked fully by startEncodedWrite; here only enough to read the job.
        precondition(jobs.indices.contains(Int(result.tag)), "encode result for no job (tag \(result.tag))")
        let rawLength = Int(table.entries[Int(jobs[Int(result.tag)].slot)].rawLength)
        compressionGate.record(rawLength: rawLength, storedLength: result.storedLength)
        guard let pageCount = startEncodedWrite(result) else { return }
        stats.blocksEncoded += 1
        if result.codec != .none { stats.blocksCompressed += 1 }
        stats.encodedDiskBytes += pageCount * DiskLayout.pageBytes
        stats.encodedDiskBytesIfRaw +=
            DiskLayout.recordPageCount(storedLength: rawLength, separateHeaderPage: false)
            * DiskLayout.pageBytes
    }

    /// Ends a job's encode stage with `result` (its payload in staging) and starts its
    /// write. Returns the extent's pages, or nil when no room could be made (the store
    /// failed).
    func startEncodedWrite(_ result: DiskEncodeResult) -> Int? {
        let jobIndex = result.tag
        precondition(
            jobIndex >= 0 && Int(jobIndex) < jobs.count && jobs[Int(jobIndex)].isEncoding,
            "encode result for no job waiting for one (tag \(jobIndex))")
        jobs[Int(jobIndex)].isEncoding = false
        encodingJobCount -= 1
        let job = jobs[Int(jobIndex)]
        let entry = table.entries[Int(job.slot)]
        let header = DiskRecordHeader(
            key: job.key, codec: result.codec, rawLength: Int(entry.rawLength),
            storedLength: result.storedLength, payloadCRC: result.payloadCRC,
            sequence: entry.sequence)
        guard let pageCount = placeStore(jobIndex, header: header) else { return nil }
        prepareTransfer(jobIndex)
        return pageCount
    }
}
