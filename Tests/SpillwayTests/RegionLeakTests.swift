// A data-mode replay killed with SIGKILL leaves nothing in /dev/shm: the region it creates
// for itself alone is unlinked as soon as it is mapped.
import Foundation
import Glibc
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite(
    "Self-owned regions do not leak",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct RegionLeakTests {
    @Test("replay --data killed with SIGKILL mid-run leaves no region file")
    func sigkillLeavesNoRegion() throws {
        let scratch = ScratchDirectory(under: "/tmp")
        let trace = scratch.sub("trace.jsonl")
        let generated = try CLIExitCodeTests.run([
            "trace", "generate", "--requests", "50000", "--seed", "3", "--out", trace,
        ])
        #expect(generated.status == 0, "\(generated.stderr)")
        let child = try CLIProcess([
            "replay", "--trace", trace, "--data", "--primary-blocks", "64", "--disk-blocks", "4096",
            "--block-bytes", "4096", "--disk-dir", scratch.sub("disk"), "--quiet",
        ])
        let marker = "vllm_offload_spillway-data-\(child.pid)-"
        // Wait until the region is mapped and already unlinked (its line in the child's maps
        // ends in "(deleted)" while the replay still runs: the name went at creation, not at
        // exit), then kill it. (Between mmap and that unlink lie a few system calls; a kill
        // landing exactly there would leave the file: docs/RELIABILITY.md.)
        var mapped = false
        // Parsing the trace comes first and is slow on a busy machine or under a sanitizer.
        let deadline = Date().addingTimeInterval(600)
        while !mapped && Date() < deadline {
            // Read to end of file: /proc files report size 0, and a sanitized child's maps are
            // long.
            var maps = Data()
            if let handle = FileHandle(forReadingAtPath: "/proc/\(child.pid)/maps") {
                maps = handle.readDataToEndOfFile()
                try? handle.close()
            }
            mapped = String(decoding: maps, as: UTF8.self).split(separator: "\n").contains {
                $0.contains(marker) && $0.hasSuffix("(deleted)")
            }
            if !mapped { usleep(2000) }
        }
        child.signal(SIGKILL)
        let status = child.wait()
        #expect(mapped, "the replay never mapped its region unlinked (status \(status))")
        #expect(status == 128 + SIGKILL, "the replay ended before the kill: \(status)")
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter {
            $0.hasPrefix(marker)
        }
        #expect(left.isEmpty, "left in /dev/shm: \(left)")
        for name in left { unlink("/dev/shm/" + name) }
    }
}
