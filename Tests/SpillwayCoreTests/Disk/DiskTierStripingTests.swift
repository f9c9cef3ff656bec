// A disk tier striped over several directories (docs/DISK_FORMAT.md, "Several
// directories"): stores spread over the data files, reopen, crash and scan recovery with
// every file, and opens refusing a directory list other than the one of the creation.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier striped over several directories")
struct DiskTierStripingTests {
    /// 128 + 3000 bytes: one page per block.
    static let length = 3000

    /// A simulated home ("home") with `count - 1` extra directories ("dev1", ...).
    static func striped(_ count: Int, seed: UInt64 = 7) -> SimulatedIO {
        SimulatedIO(
            seed: seed, requiredAlignment: 4096, queueDepth: 32, faults: .none,
            directories: ["home"] + (1..<count).map { "dev\($0)" })
    }

    static func create(_ io: SimulatedIO, pages: Int = 200) throws -> DiskTier<SimulatedIO> {
        try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: pages * 4096, blockMax: length))
    }

    static func store(_ tier: DiskTier<SimulatedIO>, _ keys: Range<UInt64>) throws {
        for key in keys {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: key), length: length) == .stored)
        }
    }

    /// Every key in `keys` loads its payload exactly.
    static func expectAll(_ tier: DiskTier<SimulatedIO>, _ keys: [UInt64]) throws {
        for key in keys {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: key), length: length)
            #expect(outcome == .loaded(byteCount: length) && matches, "key \(key): \(outcome)")
        }
    }

    @Test("stores alternate between the files; sync, close and reopen bring every block back with its recency")
    func reopen() throws {
        let io = Self.striped(2)
        let tier = try Self.create(io)
        #expect(tier.dataFileCount == 2 && tier.bytesPerDataFile == 100 * 4096)
        #expect(tier.capacityBytes == 200 * 4096)
        try Self.store(tier, 0..<150)
        // One store at a time: nothing in flight, so round-robin splits them evenly.
        #expect(tier.usedBytes(inFile: 0) == 75 * 4096 && tier.usedBytes(inFile: 1) == 75 * 4096)
        for key in stride(from: UInt64(0), to: 150, by: 7) { tier.touch(BlockKey(traceID: key)) }
        try tier.sync()
        try Self.store(tier, 150..<160)
        for key in UInt64(20)..<25 { #expect(tier.remove(BlockKey(traceID: key))) }
        try tier.sync()  // a journal batch on top of the checkpoint
        let order = tier.keysLeastRecentFirst()
        tier.checkInvariants()
        // Reopen from checkpoint + journal (no close), then after a clean close.
        let fromJournal = try DiskTier(io: io.reopened(seed: 8), options: DiskTierOptions())
        #expect(fromJournal.recovery == nil && fromJournal.keysLeastRecentFirst() == order)
        fromJournal.checkInvariants()
        try Self.expectAll(fromJournal, order.compactMap(\.traceID))
        try fromJournal.close()
        let again = try DiskTier(io: io.reopened(seed: 9), options: DiskTierOptions())
        #expect(again.recovery == nil && again.keysLeastRecentFirst() == order)
        #expect(again.dataFileCount == 2 && again.usedBytes(inFile: 1) > 0)
        try Self.expectAll(again, order.compactMap(\.traceID))
        // The checkpoint is version 3 and names the second file in its entries.
        let slot = DiskLayout.checkpointFileNames[Int(again.inspect().checkpointGeneration & 1)]
        let bytes = io.contents(ofFileNamed: slot)!
        #expect(bytes[4] == UInt8(DiskCheckpoint.stripedVersion) && bytes[6] == 2)
        #expect((0..<order.count).contains { bytes[4096 + $0 * 96 + 31] == 1 })
        #expect(io.contents(ofFileNamed: DiskLayout.directoryManifestFileName) != nil)
    }

    @Test("a store goes to the file with the fewest bytes in flight")
    func leastBusyFile() throws {
        let io = Self.striped(2)
        let tier = try DiskTier(
            io: io, options: DiskTestSupport.options(capacity: 400 * 4096, blockMax: 64 << 10))
        let big = TestBuffer(count: 60_000)
        let small = TestBuffer(count: 1000)
        // All submitted before any completes (the simulator runs them at the next pump).
        #expect(tier.submitStore(key: BlockKey(traceID: 1), bytes: UnsafeRawBufferPointer(big.pointer), token: 1))
        #expect(tier.usedBytes(inFile: 0) == 15 * 4096 && tier.usedBytes(inFile: 1) == 0)
        #expect(tier.submitStore(key: BlockKey(traceID: 2), bytes: UnsafeRawBufferPointer(small.prefix(1000)), token: 2))
        #expect(tier.usedBytes(inFile: 1) == 4096)
        // File 1 has 1 page in flight, file 0 fifteen: the next two go to file 1 as well.
        #expect(tier.submitStore(key: BlockKey(traceID: 3), bytes: UnsafeRawBufferPointer(small.prefix(1000)), token: 3))
        #expect(tier.submitStore(key: BlockKey(traceID: 4), bytes: UnsafeRawBufferPointer(big.pointer), token: 4))
        #expect(tier.usedBytes(inFile: 0) == 15 * 4096 && tier.usedBytes(inFile: 1) == 17 * 4096)
        tier.checkInvariants()
        var completions: [DiskCompletion] = []
        try tier.waitForAll(into: &completions)
        #expect(completions.count == 4 && completions.allSatisfy { $0.outcome == .store(.stored) })
        tier.checkInvariants()
    }

    @Test("a crash after a sync keeps every synced block of both files; unsynced ones may go")
    func crash() throws {
        let io = Self.striped(2, seed: 31)
        let tier = try Self.create(io)
        try Self.store(tier, 0..<60)
        try tier.sync()
        try Self.store(tier, 60..<90)
        io.crash()
        let reopened = try DiskTier(io: io, options: DiskTierOptions())
        reopened.checkInvariants()
        for key in UInt64(0)..<60 { #expect(reopened.contains(BlockKey(traceID: key))) }
        try Self.expectAll(reopened, (0..<60).map { $0 })
        #expect(reopened.blockCount == 60)
    }

    @Test("a corrupt newest checkpoint: the scan of every data file brings back every block")
    func scanRecovery() throws {
        let io = Self.striped(3)
        let tier = try Self.create(io, pages: 300)
        try Self.store(tier, 0..<240)
        try tier.close()
        let generation = try DiskTier(io: io.reopened(seed: 3), options: DiskTierOptions())
        let slot = DiskLayout.checkpointFileNames[Int(generation.inspect().checkpointGeneration & 1)]
        try generation.close()
        io.corrupt(fileNamed: slot, offset: 4096 + 40, xor: 0x10)
        let recovered = try DiskTier(io: io, options: DiskTierOptions())
        #expect(recovered.recovery?.scanned == true)
        #expect(recovered.recovery?.scannedRecords == 240 && recovered.blockCount == 240)
        #expect((0..<3).allSatisfy { recovered.usedBytes(inFile: $0) == 80 * 4096 })
        try Self.expectAll(recovered, (0..<240).map { $0 })
        recovered.checkInvariants()
    }

    @Test("a record copied into another data file is not taken by a scan nor served")
    func recordsStayInTheirFile() throws {
        let io = Self.striped(2)
        let tier = try Self.create(io, pages: 20)
        try Self.store(tier, 0..<2)  // key 0 in file 0 page 0, key 1 in file 1 page 0
        try tier.close()
        // File 1's first page now holds key 0's record (file index 0 in its header).
        var file1 = io.contents(ofFileNamed: "dev1/spillway-data.1")!
        let file0 = io.contents(ofFileNamed: DiskLayout.dataFileName)!
        file1.replaceSubrange(0..<4096, with: file0[0..<4096])
        io.replaceContents(ofFileNamed: "dev1/spillway-data.1", with: file1)
        let reopened = try DiskTier(io: io.reopened(seed: 2), options: DiskTierOptions())
        let (outcome, _) = try DiskTestSupport.loadMatches(reopened, BlockKey(traceID: 1), length: Self.length)
        #expect(outcome == DiskLoadOutcome.failed(.keyMismatch))
        try reopened.close()
        // A scan (both slots gone) finds key 0 once, in file 0, and nothing in file 1.
        for name in DiskLayout.checkpointFileNames { try io.removeFile(name) }
        let scanned = try DiskTier(io: io.reopened(seed: 4), options: DiskTierOptions())
        #expect(scanned.recovery?.scannedRecords == 1 && scanned.blockCount == 1)
        #expect(scanned.usedBytes(inFile: 1) == 0)
        try Self.expectAll(scanned, [0])
    }

    // MARK: Directory lists

    /// The message of the `DiskTierError` opening `io` throws (nil when it opens).
    static func openError(_ io: SimulatedIO, capacity: Int? = nil) -> DiskTierError? {
        do {
            var options = DiskTierOptions(capacityBytes: capacity, blockByteCountMax: length)
            options.readOnly = false
            _ = try DiskTier(io: io, options: options)
            return nil
        } catch let error as DiskTierError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("reopening with another directory list is refused, naming the difference, and creates nothing")
    func wrongLists() throws {
        let io = Self.striped(3)
        try Self.create(io).close()
        let before = io.fileNamesForTesting
        // Only the home.
        let homeOnly = Self.openError(io.reopened(seed: 1, directories: ["home"]))
        #expect(homeOnly?.code == .invalidOptions)
        #expect(homeOnly?.message.contains("created over 3 directories (home, dev1, dev2)") == true)
        // One directory replaced by an empty one.
        let replaced = Self.openError(io.reopened(seed: 1, directories: ["home", "dev1", "devX"]))
        #expect(replaced?.message.contains("directory 3: created dev2, given devX") == true)
        // Order swapped.
        let swapped = Self.openError(io.reopened(seed: 1, directories: ["home", "dev2", "dev1"]))
        #expect(
            swapped?.message.contains("directory 2: created dev1, given dev2; directory 3: created dev2, given dev1")
                == true)
        // A fourth directory.
        let extra = Self.openError(io.reopened(seed: 1, directories: ["home", "dev1", "dev2", "dev3"]))
        #expect(extra?.message.contains("directory 4: created none, given dev3") == true)
        #expect(io.fileNamesForTesting == before)
        // Without the manifest the data files' names still catch a swapped order, and the
        // checkpoint's file count a missing directory.
        try io.removeFile(DiskLayout.directoryManifestFileName)
        let unnamed = Self.openError(io.reopened(seed: 1, directories: ["home", "dev2", "dev1"]))
        #expect(unnamed?.message.contains("dev2, directory 2 of this open, holds spillway-data.2") == true)
        let fewer = Self.openError(io.reopened(seed: 1, directories: ["home", "dev1"]))
        #expect(fewer?.message.contains("stripes over 3 directories, this open gives 2") == true)
        #expect(io.fileNamesForTesting == before.filter { $0 != DiskLayout.directoryManifestFileName })
    }

    @Test("a one-directory tier opened with two is refused, and the file it would need is not left behind")
    func oneDirectoryTierWithTwo() throws {
        let io = Self.striped(1)
        try Self.create(io).close()
        let other = io.reopened(seed: 1, directories: ["home", "dev1"])
        let error = Self.openError(other)
        #expect(error?.message.contains("stripes over 1 directory, this open gives 2 (home, dev1)") == true)
        #expect(try other.listFiles(inDirectory: 1).isEmpty)
    }

    @Test("a missing data file, or a leftover one in a new tier's directory, is refused")
    func missingAndLeftoverFiles() throws {
        let io = Self.striped(2)
        try Self.create(io).close()
        let missing = io.reopened(seed: 1)
        try missing.removeFile(DiskLayout.dataFileName(1), inDirectory: 1)
        let gone = Self.openError(missing)
        #expect(gone?.code == .notFound && gone?.message.contains("spillway-data.1 was missing") == true)
        // A new tier whose second directory holds another tier's data file.
        let fresh = SimulatedIO(seed: 5, requiredAlignment: 4096, directories: ["new", "dev1"])
        fresh.replaceContents(ofFileNamed: "dev1/spillway-data.1", with: [UInt8](repeating: 0, count: 4096))
        let leftover = Self.openError(fresh, capacity: 100 * 4096)
        #expect(leftover?.message.contains("already holds spillway-data.1") == true)
        #expect(try fresh.listFiles().isEmpty)
    }

    @Test("both checkpoints corrupt and a data file missing: the open refuses rather than scanning to a tier of capacity 0")
    func missingFileWithoutCheckpoint() throws {
        let io = Self.striped(2)
        let tier = try Self.create(io)
        try Self.store(tier, 0..<20)
        try tier.close()
        for slot in DiskLayout.checkpointFileNames {
            io.corrupt(fileNamed: slot, offset: 40, xor: 0x10)
        }
        let missing = io.reopened(seed: 1)
        try missing.removeFile(DiskLayout.dataFileName(1), inDirectory: 1)
        let gone = Self.openError(missing)
        #expect(gone?.code == .notFound && gone?.message.contains("spillway-data.1 was missing") == true,
                "\(String(describing: gone))")
        // With every file present the same damage scans back every block.
        let whole = try DiskTier(io: io.reopened(seed: 2), options: DiskTierOptions())
        #expect(whole.recovery?.scanned == true && whole.capacityBytes == 200 * 4096)
        try Self.expectAll(whole, (0..<20).map { $0 })
    }

    @Test("a striped tier whose share per file cannot hold one record of the largest block is refused at creation")
    func sharePerFileBelowOneRecord() throws {
        // 3000-byte blocks take one page; 3 pages over 2 directories leave each file 1 page.
        #expect(Self.openError(Self.striped(2), capacity: 4 * 4096) == nil)
        let io = SimulatedIO(seed: 5, requiredAlignment: 4096, directories: ["home", "dev1"])
        do {
            _ = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 4 * 4096, blockMax: 3 * 4096))
            Issue.record("a 12 KiB block over two 8 KiB files was accepted")
        } catch let error as DiskTierError {
            #expect(error.code == .invalidOptions && error.message.contains("below one record"), "\(error)")
        }
    }

    @Test("a version-3 checkpoint header claiming 0 or 65 data files is corrupt")
    func hostileFileCount() {
        let page = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { page.deallocate() }
        DiskCheckpoint.encodeHeader(
            generation: 1, dataFileBytes: 8192, nextSequence: 1, entryCount: 0,
            blockByteCountMax: 4096, dataFileCount: 2, into: page)
        #expect(DiskCheckpoint.decodeHeader(from: page)?.dataFileCount == 2)
        for count in [0, 65] {
            page.storeBytes(of: UInt16(count).littleEndian, toByteOffset: 6, as: UInt16.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: page, count: 60))
            page.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
            #expect(DiskCheckpoint.decodeHeader(from: page) == nil, "count \(count)")
        }
    }

    @Test("a tier written before striping (Tests/Fixtures/disk-one-directory) opens, verifies, takes stores and stays version 2")
    func fixtureFromBeforeStriping() throws {
        let root = try #require(SharedTraces.repositoryRoot(testFile: #filePath))
        let fixture = root.appendingPathComponent("Tests/Fixtures/disk-one-directory")
        let io = SimulatedIO(seed: 11, requiredAlignment: 4096)
        for name in [DiskLayout.dataFileName, DiskLayout.journalFileName] + DiskLayout.checkpointFileNames {
            let data = try #require(
                FileManager.default.contents(atPath: fixture.appendingPathComponent(name).path),
                "fixture file \(name) missing under \(fixture.path)")
            io.replaceContents(ofFileNamed: name, with: [UInt8](data))
        }
        let tier = try DiskTier(io: io, options: DiskTierOptions())
        #expect(tier.recovery == nil && tier.blockCount == 10 && tier.dataFileCount == 1)
        #expect(tier.inspect().blocksByCodec[.lz4] == 4)
        // Keys 0..<6: random payloads; 6..<10: zeros stored with lz4 (spillway disk fill).
        for key in UInt64(0)..<10 {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: key), length: Self.length, kind: key < 6 ? .random : .zeros)
            #expect(outcome == .loaded(byteCount: Self.length) && matches, "key \(key): \(outcome)")
        }
        try Self.store(tier, 10..<12)
        try tier.close()
        let again = try DiskTier(io: io.reopened(seed: 12), options: DiskTierOptions())
        #expect(again.blockCount == 12 && again.recovery == nil)
        let slot = io.contents(ofFileNamed: DiskLayout.checkpointFileNames[Int(again.inspect().checkpointGeneration & 1)])!
        #expect(slot[4] == 2 && slot[6] == 0)
    }

    @Test("a one-directory tier writes the pre-striping format byte for byte: version 2, no file index, no manifest")
    func oneDirectoryFormatUnchanged() throws {
        let io = Self.striped(1)
        let tier = try Self.create(io)
        try Self.store(tier, 0..<3)
        try tier.close()
        let slot = io.contents(ofFileNamed: DiskLayout.checkpointFileNames[0])!
        #expect(slot[4] == 2 && slot[5] == 0 && slot[6] == 0 && slot[7] == 0)
        #expect((0..<3).allSatisfy { slot[4096 + $0 * 96 + 31] == 0 })
        let data = io.contents(ofFileNamed: DiskLayout.dataFileName)!
        #expect((0..<3).allSatisfy { data[$0 * 4096 + 96] == 0 })
        #expect(io.contents(ofFileNamed: DiskLayout.directoryManifestFileName) == nil)
    }
}
