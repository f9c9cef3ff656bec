// A small disk tier over simulated I/O for the checkpoint and record fuzzers: a valid
// template made once with the tier's own encoders, and the open-and-check every input gets.
import SpillwayTesting
import SpillwayCore

/// The template tier's files and the check of a tier opened over (partly) fuzzed files.
enum FuzzTier {
    /// Keys and lengths stored in the template: a one-page block, a two-page one, a
    /// compressible one (stored lz4) and a tiny one.
    static let blocks: [(key: BlockKey, length: Int, kind: PayloadKind)] = [
        (BlockKey(traceID: 1), 1000, .random),
        (BlockKey(traceID: 2), 6000, .random),
        (BlockKey(traceID: 3), 12000, .bf16),
        (BlockKey(traceID: 4), 1, .random),
    ]
    static let capacityBytes = 16 * DiskLayout.pageBytes
    static let blockByteCountMax = 16 << 10

    /// Options bounding what one open allocates, so a hostile header cannot make every
    /// input slow (staging is capped; a bigger block size in a header is still accepted).
    static func options(capacity: Int? = nil, zeroCopy: Bool = false) -> DiskTierOptions {
        var options = DiskTierOptions(
            capacityBytes: capacity, blockByteCountMax: blockByteCountMax, codec: .lz4,
            jobCountMax: 4, reservedBlockCount: 0)
        options.zeroCopy = zeroCopy
        options.stagingBytesMax = 1 << 20
        return options
    }

    /// The files of a tier holding `blocks`, closed cleanly (checkpoint in slot a, the
    /// empty creation checkpoint in slot b), by file name.
    static func makeTemplate(zeroCopy: Bool = false) -> [String: [UInt8]] {
        let io = SimulatedIO(seed: 7, requiredAlignment: 4096, queueDepth: 16)
        do {
            let tier = try DiskTier(
                io: io, options: options(capacity: capacityBytes, zeroCopy: zeroCopy))
            let buffer = UnsafeMutableRawBufferPointer.allocate(
                byteCount: blockByteCountMax, alignment: DiskLayout.pageBytes)
            defer { buffer.deallocate() }
            for block in blocks {
                let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<block.length])
                PayloadGenerator.fill(bytes, key: block.key, kind: block.kind)
                guard try tier.store(key: block.key, bytes: UnsafeRawBufferPointer(bytes)) == .stored
                else { fatalError("template tier refused a block") }
            }
            try tier.close()
        } catch {
            fatalError("cannot make the template tier: \(error)")
        }
        var files: [String: [UInt8]] = [:]
        for name in [DiskLayout.dataFileName] + DiskLayout.checkpointFileNames {
            files[name] = io.contents(ofFileNamed: name)
        }
        return files
    }

    static let template = makeTemplate()

    /// The template tier reopened, block 1 removed and block 2 touched (one sync), block
    /// 5 stored (another sync), then dropped without close: two journal batches on top of
    /// the template's checkpoint (generation and header CRC: `journalTemplateBase`).
    static func makeJournalTemplate() -> (files: [String: [UInt8]], base: (UInt64, UInt32)) {
        let io = SimulatedIO(seed: 8, requiredAlignment: 4096, queueDepth: 16)
        for (name, bytes) in template { io.replaceContents(ofFileNamed: name, with: bytes) }
        do {
            let tier = try DiskTier(io: io, options: options())
            tier.remove(BlockKey(traceID: 1))
            tier.touch(BlockKey(traceID: 2))
            try tier.sync()
            var bytes = [UInt8](repeating: 7, count: 3000)
            let stored = try bytes.withUnsafeMutableBytes {
                try tier.store(key: BlockKey(traceID: 5), bytes: UnsafeRawBufferPointer($0))
            }
            guard stored == .stored else { fatalError("journal template refused a block") }
            try tier.sync()
            guard tier.inspect().journalBatches == 2 else { fatalError("no journal batches") }
        } catch {
            fatalError("cannot make the journal template: \(error)")
        }
        var files = template
        files[DiskLayout.journalFileName] = io.contents(ofFileNamed: DiskLayout.journalFileName)
        let slot = template[DiskLayout.checkpointFileNames[0]]!
        let base = slot.withUnsafeBytes {
            (
                UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 60, as: UInt32.self))
            )
        }
        return (files, base)
    }

    static let journalTemplateAndBase = makeJournalTemplate()
    static var journalTemplate: [String: [UInt8]] { journalTemplateAndBase.files }
    static var journalTemplateBase: (UInt64, UInt32) { journalTemplateAndBase.base }

    /// Opens a tier over `files`; the open must throw a DiskTierError or succeed, and a
    /// tier that opened keeps its invariants, answers every template key without trapping,
    /// and closes.
    static func openAndCheck(_ files: [String: [UInt8]]) {
        let io = SimulatedIO(seed: 11, requiredAlignment: 4096, queueDepth: 16)
        for (name, bytes) in files { io.replaceContents(ofFileNamed: name, with: bytes) }
        let tier: DiskTier<SimulatedIO>
        do { tier = try DiskTier(io: io, options: options()) } catch is DiskTierError {
            return
        } catch {
            fatalError("DiskTier.init threw a non-DiskTierError: \(error)")
        }
        tier.checkInvariants()
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(tier.blockByteCountMax, 1), alignment: DiskLayout.pageBytes)
        defer { buffer.deallocate() }
        for block in blocks where tier.contains(block.key) {
            // Contents are not compared: libFuzzer can solve a CRC comparison and forge a
            // record, and a CRC is no signature. A load returns, within the buffer.
            guard let outcome = try? tier.load(key: block.key, into: buffer) else { continue }
            if case .loaded(let count) = outcome {
                precondition(count <= buffer.count, "a load reported more bytes than the buffer")
            }
        }
        tier.checkInvariants()
        _ = try? tier.close()
    }
}
