// Opening a disk tier: create it, or load the newest valid checkpoint and rebuild the
// index from it with one sequential read and no per-block reads.

extension DiskTier {
    /// Opens the tier in the backend's directory, creating it when absent and
    /// `options.capacityBytes` is set.
    ///
    /// An existing tier keeps its capacity; its index is the newest checkpoint whose CRCs
    /// pass (a torn newest checkpoint falls back to the other slot). Entries that are out of
    /// range, overlap an earlier entry or repeat a key are dropped (counted in
    /// `stats.recoveryDroppedEntries`).
    /// - Throws: `DiskTierError` `.notFound` (no tier and no capacity), `.indexCorrupt`
    ///   (index files exist but neither checkpoint is valid), `.invalidOptions`, `.backend`.
    public convenience init(io: IO, options: DiskTierOptions) throws {
        try options.validate()
        // One data file per directory of the backend (docs/DISK_FORMAT.md, "Several
        // directories"); the list is fixed when the tier is created.
        let directories = io.directoryPaths
        let fileCount = directories.count
        guard (1...DiskLayout.dataFileCountMax).contains(fileCount) else {
            throw DiskTierError(
                .invalidOptions,
                "\(fileCount) directories: a disk tier stripes over 1...\(DiskLayout.dataFileCountMax)")
        }
        let existing: [String]
        do { existing = try io.listFiles() } catch {
            throw DiskTierError(.backend, "cannot list the tier directory: \(error)")
        }
        let hasData = existing.contains(DiskLayout.dataFileName)
        let tierFileNames = DiskLayout.fileNames
        // Opening without a capacity must not leave files behind in a directory without a tier.
        if (options.capacityBytes == nil || options.readOnly), !hasData,
            !DiskLayout.checkpointFileNames.contains(where: existing.contains)
        {
            throw DiskTierError(
                .notFound,
                "no disk tier in this directory: create one by giving a capacity (e.g. spillway disk fill --capacity-bytes)"
            )
        }
        if options.readOnly && !hasData {
            throw DiskTierError(
                .notFound,
                "the tier has checkpoint files but no data file (\(DiskLayout.dataFileName)): nothing to read"
            )
        }
        // The directory list must be the one the tier was created with, checked before
        // anything is created; the extra directories' listings say which data files exist.
        let extraListings = try Self.checkDirectories(
            io: io, homeFiles: existing, creating: !hasData)
        // Files this open creates are removed again when it fails: a failed creation leaves
        // nothing behind.
        var createdNames: [(directory: Int, name: String)] =
            tierFileNames.filter { !existing.contains($0) }.map { (0, $0) }
        for index in 1..<max(1, fileCount)
        where !extraListings[index - 1].contains(DiskLayout.dataFileName(index)) {
            createdNames.append((index, DiskLayout.dataFileName(index)))
        }
        if fileCount > 1 && !existing.contains(DiskLayout.directoryManifestFileName) {
            createdNames.append((0, DiskLayout.directoryManifestFileName))
        }
        func open(_ name: String, directory: Int = 0) throws -> IOFileID? {
            let present =
                directory == 0 ? existing.contains(name) : extraListings[directory - 1].contains(name)
            if options.readOnly && !present { return nil }
            do {
                return try io.openFile(
                    name, inDirectory: directory, options: IOFileOptions(create: !options.readOnly))
            } catch {
                throw DiskTierError(
                    .backend, "cannot open \(name) in \(directories[directory]): \(error)")
            }
        }
        // Every file opened here is closed again when the open fails before the tier owns
        // them (a caller retrying open must not leak a descriptor per attempt).
        var openedFiles: [IOFileID] = []
        var filesOwnedByTier = false
        var succeeded = false
        defer {
            if !filesOwnedByTier { for file in openedFiles { io.closeFile(file) } }
            if !succeeded && !options.readOnly {
                for created in createdNames {
                    try? io.removeFile(created.name, inDirectory: created.directory)
                }
            }
        }
        guard let dataFile = try open(DiskLayout.dataFileName) else {
            throw DiskTierError(.notFound, "no data file in the tier directory")
        }
        openedFiles.append(dataFile)
        var dataFiles = [dataFile]
        for index in 1..<max(1, fileCount) {
            guard let file = try open(DiskLayout.dataFileName(index), directory: index) else {
                throw DiskTierError(
                    .notFound,
                    "\(directories[index]) holds no \(DiskLayout.dataFileName(index)): it is not directory \(index + 1) of this tier, or its data file was removed"
                )
            }
            openedFiles.append(file)
            dataFiles.append(file)
        }
        /// Data files this open created in an extra directory: for a tier that exists
        /// (a checkpoint names the files) that means its blocks there are gone.
        let createdDataFiles = createdNames.filter { $0.directory > 0 }.map(\.name)
        // A read-only open of a tier missing a slot reads it as empty; the id is never used
        // for I/O then (read-only tiers write no checkpoint).
        var checkpointFiles: [IOFileID] = []
        var slotPresent: [Bool] = []
        for name in DiskLayout.checkpointFileNames {
            let file = try open(name)
            slotPresent.append(file != nil)
            if let file { openedFiles.append(file) }
            checkpointFiles.append(file ?? dataFile)
        }
        let journalFile = try open(DiskLayout.journalFileName)
        if let journalFile { openedFiles.append(journalFile) }
        // Headers first (one page each), then the entries of the newest valid one only; its
        // entries failing their CRC (a torn write) falls back to the other slot.
        // Only invalid content (magic, version, CRC: a torn write) falls back to the older
        // slot. A read that fails throws instead: falling back would roll the tier back to
        // an older durability point, and the next sync would overwrite the newest
        // checkpoint with it, losing every block synced in between for good.
        var recovery = DiskTierRecovery()
        var candidates: [(header: DiskCheckpoint.Header, file: IOFileID, name: String)] = []
        for (index, name) in DiskLayout.checkpointFileNames.enumerated() where slotPresent[index] {
            let file = checkpointFiles[index]
            let size: UInt64
            do { size = try io.fileSize(file) } catch {
                throw DiskTierError(.backend, "cannot stat \(name) in the tier directory: \(error)")
            }
            if let header = try Self.readCheckpointHeader(
                io: io, file: file, fileSize: size, name: name)
            {
                candidates.append((header, file, name))
            } else if size > 0 {
                recovery.corruptCheckpoints.append(name)
            }
        }
        candidates.sort { $0.header.generation > $1.header.generation }
        var newest: (header: DiskCheckpoint.Header, buffer: UnsafeMutableRawPointer)?
        defer { newest?.buffer.deallocate() }
        for candidate in candidates {
            if let buffer = try Self.readCheckpointEntries(
                io: io, file: candidate.file, header: candidate.header, name: candidate.name)
            {
                newest = (candidate.header, buffer)
                break
            }
            recovery.corruptCheckpoints.append(candidate.name)
        }
        recovery.corruptCheckpoints.sort()
        if let newest {
            try Self.checkDataFiles(
                recorded: newest.header.dataFileCount, directories: directories,
                created: createdDataFiles)
        }
        // The journal batches that extend the chosen checkpoint. A damaged journal (a bad
        // header, or a bad batch with valid batches after it) may hide changes a completed
        // sync promised, so it is treated like a corrupt slot.
        var journalImage: (buffer: UnsafeMutableRawPointer, count: Int)?
        defer { journalImage?.buffer.deallocate() }
        var journalBatches: [(offset: Int, batch: DiskJournalBatch)] = []
        var uncommittedSyncs = 0
        var uncommittedNextSequence: UInt64 = 0
        if let newest, let journalFile {
            journalImage = try Self.readJournal(io: io, file: journalFile, base: newest.header)
            if let image = journalImage {
                let found = DiskJournal.scan(
                    image.buffer, count: image.count, baseGeneration: newest.header.generation,
                    baseCRC: newest.header.headerCRC)
                journalBatches = found.batches
                if found.damaged { recovery.corruptCheckpoints.append(DiskLayout.journalFileName) }
                // An incomplete last batch is a sync cut by a crash: not damage, not applied.
                if found.incompleteTail {
                    uncommittedSyncs = 1
                    uncommittedNextSequence = found.uncommittedNextSequence
                }
            }
        }
        let dataSize: UInt64
        do { dataSize = try io.fileSize(dataFile) } catch {
            throw DiskTierError(.backend, "cannot stat the data file: \(error)")
        }
        // Index files that are corrupt, or a data file with content and no checkpoint at
        // all (both slots empty or missing: a crash during the very first checkpoint, or
        // deleted slots), both need recovery.
        let damaged =
            !recovery.corruptCheckpoints.isEmpty
            || (newest == nil && dataSize >= UInt64(DiskLayout.pageBytes)
                && options.capacityBytes == nil)
        if damaged && options.scanRecovery && (newest != nil || dataSize >= UInt64(DiskLayout.pageBytes)) {
            // A corrupt slot may have been the newest: rebuild from the data file's records
            // (the valid checkpoint, if any, orders them and bounds which older records count).
            // Without a checkpoint the files' sizes say their capacity (all were reserved
            // alike; the smallest bounds them).
            var sizes: [UInt64] = []
            for file in dataFiles {
                do { sizes.append(try io.fileSize(file)) } catch {
                    throw DiskTierError(.backend, "cannot stat a data file: \(error)")
                }
            }
            let capacityBytes =
                newest?.header.dataFileBytes
                ?? Int(min(sizes.min() ?? 0, UInt64(Int32.max) * UInt64(DiskLayout.pageBytes)))
                / DiskLayout.pageBytes * DiskLayout.pageBytes
            if newest == nil {
                // No checkpoint names the files: a data file this open had to create (or
                // one left empty) would make the smallest size, so the scan's capacity, 0,
                // and the next sync would record that for good. Refuse instead.
                try Self.checkDataFiles(
                    recorded: dataFiles.count, directories: directories, created: createdDataFiles)
                guard capacityBytes >= DiskLayout.pageBytes else {
                    throw DiskTierError(
                        .indexCorrupt,
                        "neither checkpoint is valid and a data file is empty (sizes \(sizes.map(String.init).joined(separator: ", ")) bytes): the capacity cannot be recovered by a scan; remove the tier's spillway-* files in every directory to start an empty tier"
                    )
                }
            }
            var scan: (records: [DiskCheckpointEntry], rejected: Int) = ([], 0)
            for (index, file) in dataFiles.enumerated() {
                let found = try Self.scanRecords(
                    io: io, file: file, fileIndex: index, capacityBytes: capacityBytes,
                    dataFileBytes: Int(min(sizes[index], UInt64(capacityBytes))))
                scan.records += found.records
                scan.rejected += found.rejected
            }
            let blockByteCountMax = min(
                DiskTierOptions.blockByteCountLimit,
                max(
                    options.blockByteCountMax, newest?.header.blockByteCountMax ?? 0,
                    scan.records.map(\.rawLength).max() ?? 0))
            try Self.checkStaging(options, blockByteCountMax: blockByteCountMax, io: io)
            filesOwnedByTier = true
            self.init(
                io: io, options: options, dataFiles: dataFiles, checkpointFiles: checkpointFiles,
                bytesPerDataFile: capacityBytes, blockByteCountMax: blockByteCountMax,
                checkpointGeneration: newest?.header.generation ?? 0,
                nextSequence: max(
                    newest?.header.nextSequence ?? 1,
                    (scan.records.map(\.sequence).max() ?? 0) + 1))
            journal.file = journalFile
            // Both slots get the recovered index; the journal restarts after them (its old
            // batches name another checkpoint and never apply again).
            journal.fullCheckpointsPending = 2
            recovery.checkpointGeneration = newest?.header.generation
            recovery.checkpointBlocks = newest?.header.entryCount ?? 0
            recovery.scanned = true
            recovery.scannedRecords = scan.records.count
            recovery.rejectedRecords = scan.rejected
            rebuildIndex(
                scanned: scan.records,
                checkpoint: newest.map { (UnsafeRawPointer($0.buffer), $0.header) },
                superseded: Self.journalSupersessions(
                    journalImage.map { UnsafeRawPointer($0.buffer) }, batches: journalBatches),
                recovery: &recovery)
            recovery.blocks = blockCount
            self.recovery = recovery
            // Make the recovered index durable in both slots at once, so the corrupt slot is
            // replaced, and empty the journal, so the next open is clean (no scan).
            if !options.readOnly {
                try sync()
                try sync()
                try resetJournal()
            }
            succeeded = true
            return
        }
        if let (header, buffer) = newest {
            for (index, file) in dataFiles.enumerated() where !options.readOnly {
                let size = index == 0 ? dataSize : ((try? io.fileSize(file)) ?? 0)
                guard size < UInt64(header.dataFileBytes) else { continue }
                do { try io.reserve(file, size: UInt64(header.dataFileBytes)) } catch {
                    throw DiskTierError(
                        .backend,
                        "the data file \(DiskLayout.dataFileName(index)) is shorter than the checkpoint says and cannot be regrown: \(error)"
                    )
                }
            }
            let blockByteCountMax = max(options.blockByteCountMax, header.blockByteCountMax)
            try Self.checkStaging(options, blockByteCountMax: blockByteCountMax, io: io)
            filesOwnedByTier = true
            self.init(
                io: io, options: options, dataFiles: dataFiles, checkpointFiles: checkpointFiles,
                bytesPerDataFile: header.dataFileBytes, blockByteCountMax: blockByteCountMax,
                checkpointGeneration: header.generation, nextSequence: header.nextSequence)
            journal.file = journalFile
            rebuildIndex(header: header, buffer: UnsafeRawPointer(buffer))
            stats.uncommittedSyncsDiscarded = uncommittedSyncs
            if stats.recoveryDroppedEntries > 0 { journal.fullCheckpointsPending = 1 }
            replayJournal(
                UnsafeRawPointer(journalImage?.buffer ?? buffer), batches: journalBatches,
                base: header)
            // The cut sync's data fdatasync may have made records with sequences up to its
            // batch's nextSequence durable: never reuse them (a later scan orders by them).
            nextSequence = max(nextSequence, uncommittedNextSequence)
            if damaged {
                // Without a scan: the next sync writes a full checkpoint, so no batch is
                // appended to a chain with damage (or valid batches) beyond its end.
                journal.fullCheckpointsPending = max(journal.fullCheckpointsPending, 1)
                recovery.checkpointGeneration = header.generation
                recovery.checkpointBlocks = header.entryCount
                recovery.blocks = blockCount
                self.recovery = recovery
            }
            succeeded = true
            return
        }
        if damaged && hasData && dataSize > 0 {
            throw DiskTierError(
                .indexCorrupt,
                "neither checkpoint (\(DiskLayout.checkpointFileNames.joined(separator: ", "))) is valid: the index is corrupt; open with scan recovery to rebuild it from the data file, or remove the spillway-* files of this directory to start an empty tier"
            )
        }
        guard let capacity = options.capacityBytes, !options.readOnly else {
            throw DiskTierError(
                .notFound,
                "no disk tier in this directory (no valid checkpoint and no data): create one by giving a capacity (e.g. --capacity-bytes)"
            )
        }
        // No checkpoint and an empty data file: a tier that never finished its creation (or
        // none at all) is created afresh. The capacity is split equally over the data files.
        let bytesPerFile = capacity / fileCount / DiskLayout.pageBytes * DiskLayout.pageBytes
        guard bytesPerFile >= DiskLayout.pageBytes else {
            throw DiskTierError(
                .invalidOptions,
                "capacity \(capacity) bytes split over \(fileCount) directories is below one 4 KiB page each: raise --capacity-bytes"
            )
        }
        // A block lives in one data file: a striped tier whose share per file is below one
        // record of the largest block could store none of them, where one directory could.
        let recordBytes =
            DiskLayout.recordPageCount(storedLength: options.blockByteCountMax, separateHeaderPage: true)
            * DiskLayout.pageBytes
        guard fileCount == 1 || bytesPerFile >= recordBytes else {
            throw DiskTierError(
                .invalidOptions,
                "capacity \(capacity) bytes split over \(fileCount) directories gives each \(bytesPerFile) bytes, below one record of the largest block (\(recordBytes) bytes): raise the capacity or give fewer directories"
            )
        }
        try Self.checkStaging(options, blockByteCountMax: options.blockByteCountMax, io: io)
        if fileCount > 1 { try Self.writeDirectoryManifest(io: io, directories: directories) }
        for (index, file) in dataFiles.enumerated() {
            do { try io.reserve(file, size: UInt64(bytesPerFile)) } catch {
                throw DiskTierError(
                    .backend,
                    "cannot reserve \(bytesPerFile) bytes for the data file in \(directories[index]): \(error); free space or lower the capacity"
                )
            }
        }
        filesOwnedByTier = true
        self.init(
            io: io, options: options, dataFiles: dataFiles, checkpointFiles: checkpointFiles,
            bytesPerDataFile: bytesPerFile, blockByteCountMax: options.blockByteCountMax,
            checkpointGeneration: 0, nextSequence: 1)
        journal.file = journalFile
        // The empty checkpoint records the geometry durably: the tier exists from here on.
        do { try sync() } catch {
            releaseResources()
            throw error
        }
        succeeded = true
    }

    /// Refuses, with the numbers, options whose staging budget holds no buffer for
    /// `blockByteCountMax`.
    static func checkStaging(_ options: DiskTierOptions, blockByteCountMax: Int, io: IO) throws {
        _ = try options.jobCount(
            blockByteCountMax: blockByteCountMax, queueDepth: io.queueDepth,
            alignment: max(1, io.requiredAlignment))
    }

    /// Reads and checks the header page of one checkpoint slot: nil when it is not a valid
    /// checkpoint header.
    /// - Throws: `DiskTierError.backend` when the read itself fails.
    static func readCheckpointHeader(io: IO, file: IOFileID, fileSize: UInt64, name: String)
        throws -> DiskCheckpoint.Header?
    {
        let headerBytes = DiskCheckpoint.headerBytes
        guard fileSize >= UInt64(headerBytes) else { return nil }
        let page = UnsafeMutableRawPointer.allocate(
            byteCount: headerBytes, alignment: max(DiskLayout.pageBytes, io.requiredAlignment))
        defer { page.deallocate() }
        let moved = blockingTransfer(
            io: io, kind: .read, file: file, offset: 0, buffer: page, length: headerBytes)
        guard moved == headerBytes else {
            throw Self.checkpointReadError(name: name, result: moved, wanted: headerBytes)
        }
        guard let header = DiskCheckpoint.decodeHeader(from: page),
            UInt64(DiskCheckpoint.byteCount(entryCount: header.entryCount)) <= fileSize
        else { return nil }
        return header
    }

    /// Reads a checkpoint's entries with one request and checks their CRC. The returned
    /// buffer is laid out like the file (entries from byte 4096; page 0 unused); nil when
    /// the CRC fails (a torn checkpoint).
    /// - Throws: `DiskTierError.backend` when the read itself fails.
    static func readCheckpointEntries(
        io: IO, file: IOFileID, header: DiskCheckpoint.Header, name: String
    ) throws -> UnsafeMutableRawPointer? {
        let headerBytes = DiskCheckpoint.headerBytes
        let total = DiskCheckpoint.byteCount(entryCount: header.entryCount)
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: total, alignment: max(DiskLayout.pageBytes, io.requiredAlignment))
        let rest = total - headerBytes
        if rest > 0 {
            let moved = blockingTransfer(
                io: io, kind: .read, file: file, offset: UInt64(headerBytes),
                buffer: buffer + headerBytes, length: rest)
            guard moved == rest else {
                buffer.deallocate()
                throw Self.checkpointReadError(name: name, result: moved, wanted: rest)
            }
            guard
                CRC32C.checksum(
                    UnsafeRawBufferPointer(
                        start: buffer + headerBytes,
                        count: header.entryCount * DiskCheckpoint.entryBytes)) == header.entriesCRC
            else {
                buffer.deallocate()
                return nil
            }
        } else if header.entriesCRC != 0 {
            buffer.deallocate()
            return nil
        }
        return buffer
    }

    static func checkpointReadError(name: String, result: Int, wanted: Int) -> DiskTierError {
        DiskTierError(
            .backend,
            "reading the checkpoint \(name) failed (\(result < 0 ? "errno \(-result)" : "\(result) of \(wanted) bytes")): the tier was not opened, so no older checkpoint replaced it; check the device and retry"
        )
    }

    /// Inserts every valid checkpoint entry, least recently used first, so recency survives.
    /// Works on local copies of the table and allocator (swapped out and back) so the loop
    /// pays no per-access exclusivity checks on the class's stored properties.
    func rebuildIndex(header: DiskCheckpoint.Header, buffer: UnsafeRawPointer) {
        var table = DiskEntryTable(reserved: 0, slotCountMax: self.table.slotCountMax)
        var allocator = DiskFileAllocators(fileCount: 0, pagesPerFile: 0)
        swap(&table, &self.table)
        swap(&allocator, &self.allocator)
        defer {
            swap(&table, &self.table)
            swap(&allocator, &self.allocator)
        }
        table.reserveKeys(header.entryCount)
        table.entries.reserveCapacity(min(header.entryCount, table.slotCountMax))
        var dropped = 0
        for index in 0..<header.entryCount {
            guard let entry = DiskCheckpoint.decodeEntry(index: index, from: buffer),
                Self.acceptable(
                    entry, allocator: allocator, blockByteCountMax: blockByteCountMax,
                    nextSequence: header.nextSequence)
            else {
                dropped += 1
                continue
            }
            guard table.lookup(entry.key) == nil else {
                dropped += 1
                continue
            }
            Self.insertLive(entry, table: &table, allocator: &allocator)
        }
        stats.recoveryDroppedEntries += dropped
    }

    /// Whether an entry read back from a checkpoint or journal describes an extent a store
    /// could have written: inside the file, pages matching its lengths and layout, a
    /// sequence below the next one, and its pages still free in `allocator`.
    static func acceptable(
        _ entry: DiskCheckpointEntry, allocator: DiskFileAllocators, blockByteCountMax: Int,
        nextSequence: UInt64
    ) -> Bool {
        entry.fileIndex >= 0 && entry.fileIndex < allocator.fileCount
            && entry.pageIndex >= 0 && entry.pageCount > 0
            && entry.pageIndex + entry.pageCount <= allocator.pagesPerFile
            && entry.pageCount
                == DiskLayout.recordPageCount(
                    storedLength: entry.storedLength, separateHeaderPage: entry.separateHeaderPage)
            && (!entry.separateHeaderPage || entry.codec == .none)
            && entry.rawLength <= blockByteCountMax
            && (entry.codec == .none
                ? entry.storedLength == entry.rawLength : entry.storedLength <= entry.rawLength)
            && entry.sequence < nextSequence
            && allocator.files[entry.fileIndex].isFree(
                start: entry.pageIndex, count: entry.pageCount)
    }

    /// Adds a checked entry to the index as the most recently used live block and marks its
    /// pages used (the key must be absent and the pages free).
    static func insertLive(
        _ entry: DiskCheckpointEntry, table: inout DiskEntryTable,
        allocator: inout DiskFileAllocators
    ) {
        let slot = table.allocateSlot()
        allocator.files[entry.fileIndex].markUsed(start: entry.pageIndex, count: entry.pageCount)
        table.entries[Int(slot)] = DiskEntry(
            key: entry.key, sequence: entry.sequence, pageIndex: Int32(entry.pageIndex),
            fileIndex: UInt8(entry.fileIndex), pageCount: Int32(entry.pageCount), rawLength: UInt32(entry.rawLength),
            storedLength: UInt32(entry.storedLength), payloadCRC: entry.payloadCRC,
            codec: entry.codec, state: .live, separateHeaderPage: entry.separateHeaderPage)
        table.insertKey(slot)
        table.linkMostRecent(slot)
    }

    /// One request run to completion outside the job machinery (open, sync, checkpoint):
    /// resubmits short transfers and retries EINTR/EAGAIN, bounded. Only while no job is in
    /// flight. Returns bytes moved (0 for sync) or a negative errno.
    static func blockingTransfer(
        io: IO, kind: IORequest.Kind, file: IOFileID, offset: UInt64,
        buffer: UnsafeMutableRawPointer?, length: Int
    ) -> Int {
        var done = 0
        var attempts = 0
        var completions: [IOCompletion] = []
        while true {
            let request = IORequest(
                kind: kind, file: file, offset: offset + UInt64(done),
                buffer: buffer.map { $0 + done },
                length: length - done, userData: UInt64.max)
            guard io.prepare(request) else { return -16 }
            completions.removeAll(keepingCapacity: true)
            // A refused submit leaves the request prepared (IOBackend contract), pointing at
            // the caller's buffer: returning would let the caller free that buffer under it
            // and leave it to run with the next blocking transfer (which then traps on two
            // completions). Retry the submit, bounded, before giving up.
            var submitted = false
            for _ in 0..<64 where !submitted {
                do {
                    try io.submit()
                    submitted = true
                } catch {}
            }
            guard submitted else { return -5 }
            do { try io.reap(into: &completions, minimum: 1) } catch { return -5 }
            precondition(
                completions.count == 1 && completions[0].userData == UInt64.max,
                "blocking transfer with other requests in flight")
            let result = Int(completions[0].result)
            attempts += 1
            if result == -4 || result == -11 {
                if attempts < 64 { continue }
                return result
            }
            if result < 0 { return result }
            if kind == .sync { return 0 }
            done += result
            if done >= length { return done }
            if result == 0 || attempts >= 64 { return done }
        }
    }
}
