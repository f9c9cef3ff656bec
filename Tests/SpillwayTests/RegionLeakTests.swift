// A data-mode replay killed with SIGKILL leaves nothing in /dev/shm: the region it creates
// for itself alone is unlinked as soon as it is mapped.
import Foundation
import Glibc
import Spillway
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
        // Wait until the region is mapped (it shows in the child's maps), then kill it.
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
            mapped = maps.range(of: Data(marker.utf8)) != nil
            if !mapped { usleep(2000) }
        }
        child.signal(SIGKILL)
        let status = child.wait()
        #expect(mapped, "the replay never mapped its region (status \(status))")
        #expect(status == 128 + SIGKILL, "the replay ended before the kill: \(status)")
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter {
            $0.hasPrefix(marker)
        }
        #expect(left.isEmpty, "left in /dev/shm: \(left)")
        for name in left { unlink("/dev/shm/" + name) }
    }
}
