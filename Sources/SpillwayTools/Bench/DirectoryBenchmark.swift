// Measures the directory: block operations per second of the simulated replay, and
// memory per block of a directory filled to 10 million blocks.
import Spillway
import SpillwayCore
import SpillwaySystem

/// Directory benchmarks (docs/BENCHMARKS.md). One block operation = one block reference of a trace
/// replayed through the tiering engine (lookup, promotion or store, touch, evictions included),
/// the same unit scripts/lru_reference.py reports, so the two rates compare directly.
package enum DirectoryBenchmark {
    /// Result of `replay`.
    package struct ReplayResult: Sendable, Codable, Equatable {
        package var blockOperations: Int
        /// Best of the repeats, replay only (trace parsing excluded).
        package var seconds: Double
        package var blockOperationsPerSecond: Double
        package var repeats: Int
        package var counters: ReplayCounters

        enum CodingKeys: String, CodingKey {
            case blockOperations = "block_operations"
            case seconds
            case blockOperationsPerSecond = "block_ops_per_second"
            case repeats, counters
        }
    }

    /// Replays `trace` `repeats` times, each on a fresh directory, and reports the best
    /// time. Traps if repeats disagree on the counters (the replay is deterministic).
    package static func replay(
        _ trace: MooncakeTrace, primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy,
        repeats: Int
    ) -> ReplayResult {
        precondition(repeats >= 1, "repeats must be >= 1")
        let clock = ContinuousClock()
        var best = Duration.seconds(1_000_000)
        var counters: ReplayCounters?
        for _ in 0..<repeats {
            let replay = ReplayEngine(primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy)
            let engine = replay.engine
            let start = clock.now
            replay.replay(trace)
            let elapsed = clock.now - start
            best = min(best, elapsed)
            let result = ReplayCounters(
                counters: engine.counters, residentPrimary: engine.residentPrimary,
                residentDisk: engine.residentDisk, primaryBlocks: primaryBlocks,
                diskBlocks: diskBlocks, policy: policy)
            precondition(counters == nil || counters == result, "replay is not deterministic")
            counters = result
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let blocks = counters!.blocks
        return ReplayResult(
            blockOperations: blocks, seconds: seconds,
            blockOperationsPerSecond: seconds > 0 ? Double(blocks) / seconds : 0, repeats: repeats,
            counters: counters!)
    }

    /// Result of `memory`.
    package struct MemoryResult: Sendable, Codable, Equatable {
        package var blocks: Int
        package var allocatedBytes: Int
        package var bytesPerBlock: Double
        package var bytesPerBlockBeyondKey: Double
        package var keyBytes: Int
        /// Seconds to insert all blocks (find + insert + attach), and the per-block rate.
        package var fillSeconds: Double
        package var fillBlocksPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case blocks
            case allocatedBytes = "allocated_bytes"
            case bytesPerBlock = "bytes_per_block"
            case bytesPerBlockBeyondKey = "bytes_per_block_beyond_key"
            case keyBytes = "key_bytes"
            case fillSeconds = "fill_seconds"
            case fillBlocksPerSecond = "fill_blocks_per_second"
        }
    }

    /// Builds a directory of `blocks` slots (one tenth primary rows, the rest disk records,
    /// like a 10x disk tier), fills every slot, and reports its memory.
    package static func memory(blocks: Int = 10_000_000) -> MemoryResult {
        let primary = blocks / 10
        let directory = BlockDirectory(primaryCapacity: primary, diskCapacity: blocks - primary)
        let clock = ContinuousClock()
        let start = clock.now
        for id in 0..<UInt64(blocks) {
            let key = BlockKey(traceID: id &* 0x9E37_79B9_7F4A_7C15)
            precondition(directory.find(key) == BlockDirectory.noSlot, "duplicate benchmark key")
            let slot = directory.insert(key)
            if directory.freeRowCount > 0 { directory.attachPrimary(slot, refCount: 0) } else { directory.attachDisk(slot) }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        precondition(directory.count == blocks, "directory not full")
        return MemoryResult(
            blocks: blocks, allocatedBytes: directory.allocatedBytes,
            bytesPerBlock: Double(directory.allocatedBytes) / Double(blocks),
            bytesPerBlockBeyondKey: directory.bytesPerBlockBeyondKey,
            keyBytes: BlockDirectory.keyBytesPerSlot, fillSeconds: seconds,
            fillBlocksPerSecond: seconds > 0 ? Double(blocks) / seconds : 0)
    }
}
