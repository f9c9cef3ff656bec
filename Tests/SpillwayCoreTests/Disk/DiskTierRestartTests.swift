// Persistence of the disk tier: clean reopen recovers everything; a simulated power loss
// recovers what was synced and never serves a torn or stale block; corruption of data and
// checkpoints is detected.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("DiskTier restart and corruption")
struct DiskTierRestartTests {
    @Test("clean close and reopen recovers every block, its bytes and its recency")
    func cleanReopen() throws {
        let io = SimulatedIO(seed: 21, requiredAlignment: 4096)
        do {
            let tier = try DiskTier(
                io: io, options: DiskTestSupport.options(capacity: 4 << 20, codec: .lz4))
            for id in 0..<40 as Range<UInt64> {
                #expect(
                    try DiskTestSupport.store(
                        tier, BlockKey(traceID: id), length: 1000 + Int(id) * 700,
                        kind: id % 2 == 0 ? .bf16 : .zeros) == .stored)
            }
            tier.touch(BlockKey(traceID: 0))
            try tier.close()
        }
        let tier = try DiskTier(io: io, options: DiskTierOptions())
        #expect(tier.blockCount == 40)
        #expect(tier.capacityBytes == 4 << 20)
        #expect(tier.keysLeastRecentFirst().first == BlockKey(traceID: 1))
        #expect(tier.keysLeastRecentFirst().last == BlockKey(traceID: 0))
        for id in 0..<40 as Range<UInt64> {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: id), length: 1000 + Int(id) * 700,
                kind: id % 2 == 0 ? .bf16 : .zeros)
            #expect(outcome == .loaded(byteCount: 1000 + Int(id) * 700))
            #expect(matches)
        }
        tier.checkInvariants()
    }

    @Test("opening a directory without a tier and without a capacity says so")
    func notFound() throws {
        let io = SimulatedIO(seed: 22)
        #expect {
            try DiskTier(io: io, options: DiskTierOptions())
        } throws: { error in
            (error as? DiskTierError)?.code == .notFound
        }
        #expect(try io.listFiles().isEmpty, "a failed open must not create files")
    }

    @Test(
        "after a crash every synced block is back with its synced bytes, later changes and stores are gone",
        arguments: 0..<20 as Range<UInt64>)
    func crashRecovery(seed: UInt64) throws {
        let io = SimulatedIO(seed: seed, requiredAlignment: 4096)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 2 << 20))
        // Phase 1: 20 blocks, synced.
        for id in 0..<20 as Range<UInt64> {
            #expect(
                try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 20000) == .stored)
        }
        try tier.sync()
        // Phase 2, unsynced: replace 0..<5 with other bytes, remove 5..<10 and fill their
        // space with new blocks 100..<130, then crash.
        for id in 0..<5 as Range<UInt64> {
            #expect(
                try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 30000, kind: .bf16)
                    == .stored)
        }
        for id in 5..<10 as Range<UInt64> { tier.remove(BlockKey(traceID: id)) }
        for id in 100..<130 as Range<UInt64> {
            _ = try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 20000)
        }
        io.crash()
        let reopened = try DiskTier(io: io, options: DiskTierOptions())
        reopened.checkInvariants()
        // Blocks untouched since the sync must all be there, intact.
        for id in 10..<20 as Range<UInt64> {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                reopened, BlockKey(traceID: id), length: 20000)
            #expect(
                outcome == .loaded(byteCount: 20000),
                "seed \(seed): synced block \(id) lost: \(outcome)")
            #expect(matches, "seed \(seed): block \(id) wrong bytes")
        }
        // Blocks changed after the sync (0..<5 replaced, 5..<10 removed): the checkpoint's
        // version is back, intact. Phase 2 fits in space the checkpoint does not list (2 MiB
        // holds every version), so no listed extent is overwritten and no load fails.
        for id in 0..<10 as Range<UInt64> {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                reopened, BlockKey(traceID: id), length: 20000)
            #expect(
                outcome == .loaded(byteCount: 20000),
                "seed \(seed): block \(id) changed after the sync: \(outcome)")
            #expect(matches, "seed \(seed): block \(id) served wrong bytes after crash")
        }
        #expect(reopened.stats.loadFailures == 0, "seed \(seed)")
        for id in 100..<130 as Range<UInt64> {
            #expect(
                !reopened.contains(BlockKey(traceID: id)),
                "seed \(seed): unsynced block \(id) in the index")
        }
        #expect(reopened.stats.hits + reopened.stats.loadFailures == 20)
        reopened.checkInvariants()
    }

    @Test("flipped bytes in a block's payload or header are detected and the block is dropped")
    func dataCorruption() throws {
        let io = SimulatedIO(seed: 23)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        for id in 0..<4 as Range<UInt64> {
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: id), length: 8000) == .stored)
        }
        // Extents are 2 pages each from page 0: block 0 at 0, block 1 at 8192, ...
        io.corrupt(fileNamed: DiskLayout.dataFileName, offset: 0 * 8192 + 128 + 5000, xor: 0x01)  // payload
        io.corrupt(fileNamed: DiskLayout.dataFileName, offset: 1 * 8192 + 40, xor: 0x80)  // key byte in header
        io.corrupt(fileNamed: DiskLayout.dataFileName, offset: 2 * 8192 + 24, xor: 0x02)  // sequence
        for id in 0..<3 as Range<UInt64> {
            let (outcome, _) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: id), length: 8000)
            #expect(outcome == .failed(.checksumMismatch), "block \(id): \(outcome)")
            #expect(!tier.contains(BlockKey(traceID: id)))
        }
        let (outcome, matches) = try DiskTestSupport.loadMatches(
            tier, BlockKey(traceID: 3), length: 8000)
        #expect(outcome == .loaded(byteCount: 8000) && matches)
        #expect(tier.stats.checksumMismatch == 3)
        tier.checkInvariants()
    }

    @Test("a record of another key at the extent is a key mismatch, not served")
    func keyMismatch() throws {
        let io = SimulatedIO(seed: 24)
        let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 1), length: 8000) == .stored)
        #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 2), length: 8000) == .stored)
        try tier.sync()
        // Copy block 2's extent over block 1's: a valid record, wrong key.
        let image = io.contents(ofFileNamed: DiskLayout.dataFileName)!
        for offset in 0..<8192 where image[offset] != image[8192 + offset] {
            io.corrupt(
                fileNamed: DiskLayout.dataFileName, offset: offset,
                xor: image[offset] ^ image[8192 + offset])
        }
        let (outcome, _) = try DiskTestSupport.loadMatches(tier, BlockKey(traceID: 1), length: 8000)
        #expect(outcome == .failed(.keyMismatch))
        #expect(tier.stats.keyMismatch == 1)
    }

    @Test("a corrupt newest checkpoint falls back to the previous one; both corrupt is an error")
    func checkpointCorruption() throws {
        let io = SimulatedIO(seed: 25)
        do {
            let tier = try DiskTier(io: io, options: DiskTestSupport.options(capacity: 1 << 20))
            tier.journalBytesMin = 0  // every sync writes a full checkpoint
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 1), length: 8000) == .stored)
            try tier.sync()  // generation 2: block 1
            #expect(try DiskTestSupport.store(tier, BlockKey(traceID: 2), length: 8000) == .stored)
            try tier.sync()  // generation 3: blocks 1, 2
            #expect(tier.inspect().checkpointGeneration == 3)
        }
        // Generation 3 is in slot b (odd generations go to b). Flip one entry byte.
        let newest = DiskLayout.checkpointFileNames[1]
        io.corrupt(fileNamed: newest, offset: DiskCheckpoint.headerBytes + 40, xor: 0x10)
        var checkpointOnly = DiskTierOptions()
        checkpointOnly.scanRecovery = false
        do {
            // Without scan recovery: the older checkpoint alone, and the corruption reported.
            let tier = try DiskTier(io: io, options: checkpointOnly)
            #expect(tier.inspect().checkpointGeneration == 2)
            #expect(tier.contains(BlockKey(traceID: 1)))
            #expect(!tier.contains(BlockKey(traceID: 2)))
            #expect(tier.recovery?.corruptCheckpoints == [newest])
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: 1), length: 8000)
            #expect(outcome == .loaded(byteCount: 8000) && matches)
        }
        io.corrupt(fileNamed: DiskLayout.checkpointFileNames[0], offset: 8, xor: 0x01)  // header of generation 2
        #expect {
            try DiskTier(io: io, options: checkpointOnly)
        } throws: { error in
            (error as? DiskTierError)?.code == .indexCorrupt
        }
        // With scan recovery (the default) both blocks come back from the data file.
        let tier = try DiskTier(io: io, options: DiskTierOptions())
        #expect(tier.recovery?.scanned == true)
        for key in [1, 2] as [UInt64] {
            let (outcome, matches) = try DiskTestSupport.loadMatches(
                tier, BlockKey(traceID: key), length: 8000)
            #expect(outcome == .loaded(byteCount: 8000) && matches, "block \(key)")
        }
    }
}
