// `bench sync`: what a `sync()` of a large disk tier costs after a fraction of its blocks
// changed (time, index bytes, journal batch or full checkpoint), and what a reopen costs.
import Spillway
import SpillwayCore
import SpillwaySystem

/// Sync and reopen figures of a disk tier with many small blocks.
package enum SyncBenchmark {
    /// One measured sync.
    package struct Sync: Codable, Sendable {
        package var changedFraction: Double
        package var changedBlocks: Int
        package var seconds: Double
        package var indexBytesWritten: Int
        /// Bytes written as a fraction of the full checkpoint of the same index.
        package var fractionOfFullCheckpoint: Double
        /// "journal" (a batch appended) or "checkpoint" (a full checkpoint written).
        package var kind: String

        enum CodingKeys: String, CodingKey {
            case changedFraction = "changed_fraction", changedBlocks = "changed_blocks", seconds
            case indexBytesWritten = "index_bytes_written"
            case fractionOfFullCheckpoint = "fraction_of_full_checkpoint", kind
        }
    }

    package struct Report: Codable, Sendable {
        package var blocks: Int
        package var blockBytes: Int
        package var fillSeconds: Double
        /// The reference measured in the same run: a full checkpoint of every block (what
        /// every sync wrote before the journal).
        package var fullCheckpointBytes: Int
        package var fullCheckpointSeconds: Double
        package var syncs: [Sync]
        /// Open of the tier right after close (checkpoint only, the journal compacted).
        package var reopenSeconds: Double
        /// Open after `journalSyncs` 1% syncs left the journal near its compaction limit.
        package var reopenWithJournalSeconds: Double
        package var reopenJournalBytes: Int
        package var journalSyncs: Int

        enum CodingKeys: String, CodingKey {
            case blocks, blockBytes = "block_bytes", fillSeconds = "fill_seconds"
            case fullCheckpointBytes = "full_checkpoint_bytes"
            case fullCheckpointSeconds = "full_checkpoint_seconds", syncs
            case reopenSeconds = "reopen_seconds"
            case reopenWithJournalSeconds = "reopen_with_journal_seconds"
            case reopenJournalBytes = "reopen_journal_bytes", journalSyncs = "journal_syncs"
        }
    }

    /// Fills a new tier in `directory` with `blocks` blocks of `blockBytes`, syncs, then for
    /// each fraction rewrites that share of the blocks and times one sync; closes, times a
    /// reopen, then runs 1% syncs up to the journal's compaction limit and times a reopen
    /// that replays that journal.
    package static func run(
        directory: String, blocks: Int, blockBytes: Int, fractions: [Double], queueDepth: Int
    ) throws -> Report {
        var options = DiskTierOptions(
            capacityBytes: (blocks + blocks / 50 + 64)
                * DiskLayout.recordPageCount(storedLength: blockBytes, separateHeaderPage: false)
                * DiskLayout.pageBytes,
            blockByteCountMax: blockBytes, codec: .none)
        options.reservedBlockCount = blocks
        let tier = try DiskTierFactory.open(
            directory: directory, options: options, queueDepth: queueDepth)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: blockBytes, alignment: 4096)
        defer { payload.deallocate() }
        var round: UInt64 = 0
        func rewrite(_ count: Int, of tier: DiskTier<URingIO>) throws {
            round += 1
            var completions: [DiskCompletion] = []
            // Keys spread over the whole key space, a new payload per round.
            let stride = max(1, blocks / max(1, count))
            for index in 0..<count {
                let key = BlockKey(traceID: UInt64((index * stride + Int(round)) % blocks))
                payload.storeBytes(of: round &+ UInt64(index), as: UInt64.self)
                while !tier.submitStore(
                    key: key, bytes: UnsafeRawBufferPointer(payload), token: UInt64(index))
                {
                    _ = try tier.wait(into: &completions, minimum: 1)
                    completions.removeAll(keepingCapacity: true)
                }
            }
            _ = try tier.waitForAll(into: &completions)
        }
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = MonotonicClock.nanoseconds()
            try body()
            return Double(MonotonicClock.nanoseconds() - start) / 1e9
        }
        payload.initializeMemory(as: UInt8.self, repeating: 0x5A)
        let fill = try seconds {
            for base in stride(from: 0, to: blocks, by: 65536) {
                var completions: [DiskCompletion] = []
                for id in base..<min(blocks, base + 65536) {
                    payload.storeBytes(of: UInt64(id), as: UInt64.self)
                    while !tier.submitStore(
                        key: BlockKey(traceID: UInt64(id)), bytes: UnsafeRawBufferPointer(payload),
                        token: UInt64(id))
                    {
                        _ = try tier.wait(into: &completions, minimum: 1)
                        completions.removeAll(keepingCapacity: true)
                    }
                }
                _ = try tier.waitForAll(into: &completions)
            }
        }
        let fullBytes = DiskCheckpoint.byteCount(entryCount: tier.blockCount)
        let fullSeconds = try seconds { try tier.sync() }
        var syncs: [Sync] = []
        for fraction in fractions {
            let changed = max(1, Int((Double(blocks) * fraction).rounded()))
            try rewrite(changed, of: tier)
            let before = tier.stats
            let time = try seconds { try tier.sync() }
            let written = tier.stats.indexBytesWritten - before.indexBytesWritten
            syncs.append(
                Sync(
                    changedFraction: fraction, changedBlocks: changed, seconds: time,
                    indexBytesWritten: written,
                    fractionOfFullCheckpoint: Double(written) / Double(fullBytes),
                    kind: tier.stats.journalBatches > before.journalBatches ? "journal" : "checkpoint"))
        }
        try tier.close()
        func open() throws -> DiskTier<URingIO> {
            try DiskTierFactory.open(
                directory: directory, options: DiskTierOptions(), queueDepth: queueDepth)
        }
        var reopened: DiskTier<URingIO>?
        let reopen = try seconds { reopened = try open() }
        // 1% syncs until one compacts, then as many again minus one: the journal is as
        // large as it gets. Dropping the tier without close is a kill (the journal stays).
        var journalSyncs = 0
        while true {
            try rewrite(max(1, blocks / 100), of: reopened!)
            let batches = reopened!.stats.journalBatches
            try reopened!.sync()
            if reopened!.stats.journalBatches == batches { break }
            journalSyncs += 1
        }
        let written = reopened!.stats.indexBytesWritten
        for _ in 0..<max(0, journalSyncs) {
            try rewrite(max(1, blocks / 100), of: reopened!)
            try reopened!.sync()
        }
        let journalBytes = reopened!.stats.indexBytesWritten - written
        reopened = nil
        let withJournal = try seconds { reopened = try open() }
        try reopened!.close()
        return Report(
            blocks: blocks, blockBytes: blockBytes, fillSeconds: fill,
            fullCheckpointBytes: fullBytes, fullCheckpointSeconds: fullSeconds, syncs: syncs,
            reopenSeconds: reopen, reopenWithJournalSeconds: withJournal,
            reopenJournalBytes: journalBytes, journalSyncs: journalSyncs)
    }
}
