// One owner per tier, with real processes: a second writer is refused naming the holder's
// pid, readers are refused while a writer runs and share the tier otherwise, and read-only
// commands work on a directory nothing can be written to.
import Foundation
import Glibc
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

extension TierDirectory {
    /// A fresh directory under /tmp holding a tier that `spillway disk fill` wrote.
    static func filled(blocks: Int, blockBytes: Int) throws -> TierDirectory {
        let directory = try TierDirectory(under: "/tmp")
        let filled = try CLIExitCodeTests.run([
            "disk", "fill", "--disk-dir", directory.path, "--blocks", "\(blocks)", "--block-bytes",
            "\(blockBytes)",
        ])
        guard filled.status == 0 else { throw CLIError("disk fill failed: \(filled.stderr)") }
        return directory
    }
}

@Suite(
    "DiskTier ownership across processes",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct DiskTierOwnershipTests {
    static func fill(_ dir: String) -> [String] {
        ["disk", "fill", "--disk-dir", dir, "--blocks", "3000", "--block-bytes", "4096", "--sync-every", "2"]
    }

    @Test("a second writer and a reader are refused while a writer runs, naming its pid")
    func oneWriter() throws {
        let directory = try TierDirectory(under: "/tmp")
        let writer = try CLIProcess(Self.fill(directory.path))
        // Running and holding the tier: its first checkpoint after a store is in slot a.
        let slot = directory.path + "/spillway-index.a"
        var running = false
        for _ in 0..<5000 where !running {
            let size = ((try? FileManager.default.attributesOfItem(atPath: slot))?[.size] as? Int) ?? 0
            running = size > 0
            if !running { usleep(1000) }
        }
        let second = try CLIExitCodeTests.run(Self.fill(directory.path))
        let reader = try CLIExitCodeTests.run(["disk", "verify", "--disk-dir", directory.path])
        let writerStatus = writer.wait()
        #expect(running, "the writer never synced")
        #expect(writerStatus == 0, "\(writer.stderrText())")
        #expect(second.status == 1, "second writer: \(second.stderr)")
        #expect(
            second.stderr.contains("is in use by pid \(writer.pid)"), "second writer: \(second.stderr)")
        #expect(reader.status == 1, "reader: \(reader.stderr)")
        #expect(
            reader.stderr.contains("is being written by pid \(writer.pid)"), "reader: \(reader.stderr)")
        // The tier holds exactly the first writer's blocks, all intact.
        let verify = try CLIExitCodeTests.run([
            "disk", "verify", "--disk-dir", directory.path, "--strict", "--pattern", "bf16", "--json",
        ])
        #expect(verify.status == 0, "\(verify.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(object?["blocks"] as? Int == 3000 && object?["verified"] as? Int == 3000)
    }

    @Test("two replay --data --keep on one directory started together: one tier, one refusal")
    func twoReplays() throws {
        let directory = try TierDirectory(under: "/tmp")
        let trace = (directory.path as NSString).deletingLastPathComponent + "/trace.jsonl"
        let generated = try CLIExitCodeTests.run([
            "trace", "generate", "--requests", "3000", "--seed", "5", "--out", trace,
        ])
        #expect(generated.status == 0, "\(generated.stderr)")
        let arguments = [
            "replay", "--trace", trace, "--data", "--primary-blocks", "32", "--disk-blocks", "512",
            "--block-bytes", "4096", "--disk-dir", directory.path, "--keep", "--quiet", "--json",
        ]
        let first = try CLIProcess(arguments)
        let second = try CLIProcess(arguments)
        let errors = [first.stderrText(), second.stderrText()]
        let statuses = [first.wait(), second.wait()]
        #expect(statuses.sorted() == [0, 1], "statuses \(statuses): \(errors)")
        let refusal = errors[statuses[0] == 1 ? 0 : 1]
        #expect(
            refusal.contains("is in use by pid") || refusal.contains("already holds a disk tier"),
            "\(refusal)")
        let verify = try CLIExitCodeTests.run([
            "disk", "verify", "--disk-dir", directory.path, "--strict", "--pattern", "random",
        ])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }

    @Test("readers share a tier; a writer in this process is refused while they hold it")
    func readersShare() throws {
        let directory = try TierDirectory.filled(blocks: 50, blockBytes: 4096)
        var readOnly = DiskTierOptions()
        readOnly.readOnly = true
        let held = try DiskTierFactory.open(directory: directory.path, options: readOnly)
        #expect(held.blockCount == 50)
        let reader = try CLIExitCodeTests.run(["disk", "verify", "--disk-dir", directory.path, "--strict"])
        #expect(reader.status == 0, "a second reader was refused: \(reader.stderr)")
        #expect {
            try DiskTierFactory.open(directory: directory.path, options: DiskTierOptions())
        } throws: { error in
            "\(error)".contains("is in use by pid \(getpid())")
        }
        try held.close()
        // Released: a writer may open it now.
        let writer = try DiskTierFactory.open(directory: directory.path, options: DiskTierOptions())
        try writer.close()
    }

    @Test("inspect and verify work on a tier nothing can be written to (chattr +i)")
    func readOnlyDirectory() throws {
        let directory = try TierDirectory.filled(blocks: 20, blockBytes: 8192)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let paths = names.map { directory.path + "/" + $0 } + [directory.path]
        func chattr(_ flag: String) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            process.arguments = [flag] + paths
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard chattr("+i") == 0 else { return }  // no immutable flag here: nothing to test
        defer { _ = chattr("-i") }
        let verify = try CLIExitCodeTests.run([
            "disk", "verify", "--disk-dir", directory.path, "--strict", "--pattern", "bf16",
        ])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("verified: 20"), "\(verify.stdout)")
        let inspect = try CLIExitCodeTests.run(["disk", "inspect", "--disk-dir", directory.path, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == names)
    }
}
