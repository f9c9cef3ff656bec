// A corrupt checkpoint through the CLI: `disk verify` and `disk inspect` report it loudly
// (verify exits 1) and count the blocks recovered by scanning, never an empty tier.
import Foundation
import Testing

@Suite(
    "disk verify / inspect on a corrupt checkpoint",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct DiskCorruptCheckpointCLITests {
    static func flipBit(_ path: String, at offset: UInt64) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let byte = try handle.read(upToCount: 1)?.first ?? 0
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte ^ 0x01]))
    }

    @Test("both slots flipped: verify exits 1, reports both, and every block verifies")
    func bothSlotsFlipped() throws {
        let directory = try TierDirectory.filled(blocks: 3000, blockBytes: 8192)
        // The fill's syncs append journal batches to the empty generation-1 checkpoint (slot
        // b); its close compacts everything into generation 2 (slot a). Flip an entry of
        // the full one and the header of the empty one.
        try Self.flipBit(directory.path + "/spillway-index.a", at: 4096 + 96 * 777 + 40)
        try Self.flipBit(directory.path + "/spillway-index.b", at: 8)
        let verify = try CLIExitCodeTests.run([
            "disk", "verify", "--disk-dir", directory.path, "--strict", "--json", "--pattern", "bf16",
        ])
        #expect(verify.status == 1, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stderr.contains("corrupt checkpoint spillway-index.a and spillway-index.b"))
        let object =
            try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(object?["blocks"] as? Int == 3000, "\(verify.stdout)")
        #expect(object?["verified"] as? Int == 3000)
        #expect(object?["recovered_by_scan"] as? Int == 3000)
        #expect(object?["uncommitted_syncs_discarded"] as? Int == 0)
        #expect(
            object?["corrupt_checkpoints"] as? [String] == ["spillway-index.a", "spillway-index.b"])
        let inspect = try CLIExitCodeTests.run(["disk", "inspect", "--disk-dir", directory.path, "--json"])
        #expect(inspect.stderr.contains("corrupt checkpoint"), "\(inspect.stderr)")
        let inspected =
            try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        #expect(inspected?["blocks"] as? Int == 3000)
    }
}
