// Golden layout: bytes written through the views land exactly where docs/REGION.md's formulas say.
import Foundation
import Glibc
import SpillwayTesting
import SpillwayCore
import Testing

@testable import SpillwaySystem

@Suite("Region layout (golden, seeded random geometries)")
struct RegionLayoutTests {
    /// Independent restatement of docs/REGION.md: S = P*M (seed), roundUp(P*M, page) (aligned).
    static func expectedStride(p: Int, m: Int, layout: SharedOffloadRegion.Layout) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return layout == .seed ? p * m : (p * m + page - 1) / page * page
    }

    /// Setup: a random geometry per case (M in 1...5, P from 1 byte to 3 pages with page
    /// multiples favoured, B in 1...12, 1-4 tensors per slot not always filling it), a manager
    /// (creator) and M ranked joiners mapping the same file. Each worker writes a pattern
    /// through `createNextView`. Checks: every byte of the raw file (read(2)) equals the
    /// reference image built from the formulas, so nothing landed elsewhere and padding and
    /// unused slot tails stay zero; no byte was written twice (views never overlap); the KV
    /// view rows are exactly [b*S, (b+1)*S) and show the same bytes; an overflowing
    /// createNextView names the overflow and leaves the cursor unchanged.
    @Test(arguments: 0..<24)
    func bytesLandWhereTheFormulasSay(caseIndex: Int) throws {
        let seed = 0x5EED_0000 &+ UInt64(caseIndex) &* 0x1_0001
        var rng = SplitMix64(seed: seed)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let m = Int.random(in: 1...5, using: &rng)
        let p: Int
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: p = page * Int.random(in: 1...2, using: &rng)
        case 1: p = Int.random(in: 1...64, using: &rng)
        default: p = Int.random(in: 1...(3 * page), using: &rng)
        }
        let b = Int.random(in: 1...12, using: &rng)
        let layout: SharedOffloadRegion.Layout = caseIndex % 2 == 0 ? .seed : .pageAligned
        let context = "seed=\(seed) M=\(m) P=\(p) B=\(b) layout=\(layout)"

        let dir = ScratchDirectory()
        let id = dir.instanceID("layout")
        let manager = try SharedOffloadRegion(
            instanceID: id, numBlocks: b, rank: nil, numWorkers: m, cpuPageSize: p, layout: layout,
            directory: dir.path)
        #expect(manager.isCreator, "\(context)")
        let s = Self.expectedStride(p: p, m: m, layout: layout)
        #expect(manager.rowStride == s, "\(context)")
        #expect(manager.numBlocks == b)
        #expect(rawBytes(manager.path).count == b * s, "file size must be B*S, \(context)")

        var expected = [UInt8](repeating: 0, count: b * s)
        var writes = [UInt8](repeating: 0, count: b * s)
        var workers: [SharedOffloadRegion] = []
        for w in 0..<m {
            let worker = try SharedOffloadRegion(
                instanceID: id, numBlocks: b, rank: w, numWorkers: m, cpuPageSize: p,
                layout: layout,
                directory: dir.path)
            #expect(!worker.isCreator, "\(context)")
            workers.append(worker)
            // Split a random prefix of the slot into 1-4 tensors.
            let used = Int.random(in: 1...p, using: &rng)
            var cuts = (0..<min(3, used - 1)).map { _ in Int.random(in: 1..<used, using: &rng) }
            cuts = Array(Set(cuts)).sorted()
            let bounds = [0] + cuts + [used]
            var offset = 0
            for t in 0..<(bounds.count - 1) {
                let size = bounds[t + 1] - bounds[t]
                let view = try worker.createNextView(tensorPageSize: size)
                #expect(view.count == b && view.offsetInRow == w * p + offset, "\(context)")
                for block in 0..<b {
                    let page = view[block]
                    let fileOffset = block * s + w * p + offset
                    #expect(page.count == size)
                    #expect(
                        page.baseAddress! == worker.baseAddress + fileOffset,
                        "\(context) w=\(w) t=\(t) b=\(block)")
                    let key = RegionFillPattern.key(seed: seed, rank: w, tensor: t, block: block)
                    RegionFillPattern.fill(page, key: key)
                    for i in 0..<size {
                        expected[fileOffset + i] = RegionFillPattern.byte(key: key, at: i)
                        writes[fileOffset + i] += 1
                    }
                }
                offset += size
            }
            if offset < p {
                // One byte too many: the error names 1 byte of overflow; the cursor stays.
                let remaining = p - offset
                #expect(
                    throws: SharedOffloadRegionError.slotOverflow(
                        rank: w, requestedBytes: remaining + 1, remainingBytes: remaining,
                        overflowBytes: 1)
                ) { try worker.createNextView(tensorPageSize: remaining + 1) }
                #expect(worker.remainingSlotBytes == remaining)
            } else {
                #expect(throws: SharedOffloadRegionError.self) {
                    try worker.createNextView(tensorPageSize: 1)
                }
            }
        }

        #expect(writes.allSatisfy { $0 <= 1 }, "a byte was written by two views: \(context)")
        let raw = rawBytes(manager.path)
        if let first = (0..<raw.count).first(where: { raw[$0] != expected[$0] }) {
            Issue.record(
                """
                raw file byte \(first) (row \(first / s), offset \(first % s)) is \(raw[first]), \
                expected \(expected[first]); \(context)
                """)
        }
        let kv = manager.createKVMemoryView()
        #expect(kv.count == b)
        for block in 0..<b {
            let row = kv[block]
            #expect(
                row.baseAddress! == manager.baseAddress + block * s && row.count == s, "\(context)")
            if block + 1 < b { #expect(row.baseAddress! + row.count == kv[block + 1].baseAddress!) }
            #expect(
                Array(row) == Array(expected[block * s..<(block + 1) * s]),
                "KV view row \(block), \(context)")
            manager.withUnsafeMutableBytes(ofRow: block) { bytes in
                #expect(bytes.baseAddress! == row.baseAddress! && bytes.count == s)
            }
        }
        if layout == .pageAligned {
            #expect(
                Int(bitPattern: manager.baseAddress) % page == 0 && s % page == 0,
                "rows must be page aligned")
            #expect(manager.rowsAreAligned(to: page))
        } else {
            #expect(manager.rowsAreAligned(to: page) == (s % page == 0))
        }
        for worker in workers { worker.cleanup() }
        manager.cleanup()
        #expect(
            dir.fileNames.isEmpty,
            "creator cleanup must remove the region and sidecar: \(dir.fileNames)")
    }

    /// Checks the worked example of RegionGeometry's header and the stride formulas.
    @Test func geometryWorkedExample() throws {
        let seed = try RegionGeometry(
            numBlocks: 8, numWorkers: 3, cpuPageSize: 1000, layout: .seed, pageSize: 4096)
        #expect(seed.rowStride == 3000 && seed.fileSize == 24000 && seed.paddingPerRow == 0)
        #expect(seed.slotOffset(block: 5, rank: 2) == 17000)
        let aligned = try RegionGeometry(
            numBlocks: 8, numWorkers: 3, cpuPageSize: 1000, layout: .pageAligned, pageSize: 4096)
        #expect(
            aligned.rowStride == 4096 && aligned.fileSize == 32768 && aligned.paddingPerRow == 1096)
        #expect(aligned.slotOffset(block: 5, rank: 2) == 22480)
        let exact = try RegionGeometry(
            numBlocks: 2, numWorkers: 4, cpuPageSize: 4096, layout: .pageAligned, pageSize: 4096)
        #expect(exact.rowStride == 16384)
        #expect(throws: SharedOffloadRegionError.self) {
            try RegionGeometry(
                numBlocks: Int.max / 2, numWorkers: 4, cpuPageSize: 4096, layout: .seed,
                pageSize: 4096)
        }
        #expect(throws: SharedOffloadRegionError.self) {
            try RegionGeometry(
                numBlocks: 0, numWorkers: 1, cpuPageSize: 1, layout: .seed, pageSize: 4096)
        }
    }
}
