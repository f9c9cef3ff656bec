// Real processes of the built `spillway` binary creating, filling, racing and crashing on
// one shared region.
import Foundation
import Glibc
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("Region with real processes")
struct RegionMultiProcessTests {
    static let blocks = 16, workers = 4, slot = 3000, tensors = [1000, 1500]

    static func createArguments(
        _ dir: ScratchDirectory, id: String, rank: Int?, layout: String, seed: UInt64,
        extra: [String] = []
    ) -> [String] {
        var args = [
            "region", "create", "--instance-id", id, "--num-blocks", "\(blocks)", "--num-workers",
            "\(workers)",
            "--cpu-page-size", "\(slot)", "--layout", layout, "--region-dir", dir.path, "--fill-pattern",
            "\(seed)",
            "--tensor-page-sizes", tensors.map(String.init).joined(separator: ","), "--json",
        ]
        if let rank { args += ["--rank", "\(rank)"] }
        return args + extra
    }

    /// The file every rank should have produced, from docs/REGION.md's formulas: tensor t of
    /// worker w in row b at b*S + w*P + (earlier tensor sizes), zero elsewhere.
    static func expectedImage(seed: UInt64, stride: Int) -> [UInt8] {
        var image = [UInt8](repeating: 0, count: blocks * stride)
        for b in 0..<blocks {
            for w in 0..<workers {
                var offset = b * stride + w * slot
                for (t, size) in tensors.enumerated() {
                    let key = RegionFillPattern.key(seed: seed, rank: w, tensor: t, block: b)
                    for i in 0..<size {
                        image[offset + i] = RegionFillPattern.byte(key: key, at: i)
                    }
                    offset += size
                }
            }
        }
        return image
    }

    /// Setup: per round, 4 workers and the manager (5 processes) wait on one start barrier,
    /// then all create-or-join the same instance at once; each worker fills its slots through
    /// createNextView. Checks: exactly one creator; the raw file equals the interleaving the
    /// formulas give (padding and slot tails zero); every process sees the same CRC32C as the
    /// raw file and verifies every rank's bytes; all exit 0 and the creator's cleanup leaves
    /// no file. Three rounds per layout.
    @Test(arguments: ["seed", "page-aligned"])
    func concurrentCreateJoinAndFill(layout: String) throws {
        for round in 0..<3 {
            let dir = ScratchDirectory()
            let id = "race-\(round)-\(UInt32.random(in: 0...UInt32.max))"
            let seed = UInt64.random(in: 1...UInt64.max)
            let context = "layout=\(layout) round=\(round) seed=\(seed)"
            let extra = [
                "--start-after", dir.path + "/go", "--checksum-after", dir.path + "/check",
                "--verify",
            ]
            let children = try ([nil] + (0..<Self.workers).map { $0 }).map { rank in
                try CLIProcess(
                    Self.createArguments(
                        dir, id: id, rank: rank, layout: layout, seed: seed, extra: extra))
            }
            defer {
                for child in children where child.process.isRunning {
                    child.signal(SIGKILL)
                    child.wait()
                }
            }
            dir.touch("go")
            let ready = try children.map { try $0.readEvent() }
            let creators = ready.filter { $0["isCreator"] as? Bool == true }
            #expect(creators.count == 1, "exactly one creator expected, \(context): \(ready)")
            let stride = try #require(ready[0]["rowStride"] as? Int)
            #expect(stride == (layout == "seed" ? 12000 : 12288), "\(context)")

            let raw = [UInt8](
                try Data(contentsOf: URL(fileURLWithPath: dir.path + "/vllm_offload_\(id).mmap")))
            let expected = Self.expectedImage(seed: seed, stride: stride)
            #expect(raw.count == expected.count, "\(context)")
            if let first = (0..<min(raw.count, expected.count)).first(where: {
                raw[$0] != expected[$0]
            }) {
                Issue.record(
                    "raw byte \(first) (row \(first / stride), offset \(first % stride)) is \(raw[first]), expected \(expected[first]); \(context)"
                )
            }
            dir.touch("check")
            let crc = raw.withUnsafeBytes { CRC32C.checksum($0) }
            for (child, event) in zip(children, try children.map { try $0.readEvent() }) {
                #expect(
                    event["crc32c"] as? Int == Int(crc),
                    "pid \(child.pid) sees other bytes, \(context)")
                #expect(event["mismatchedBytes"] as? Int == 0, "pid \(child.pid) \(context)")
            }
            for child in children { child.signal(SIGTERM) }
            for child in children {
                #expect(child.wait() == 0, "\(child.arguments) \(context): \(child.stderrText())")
            }
            #expect(
                dir.regionFiles.isEmpty,
                "creator cleanup must remove the region: \(dir.regionFiles), \(context)")
        }
    }

    /// Setup: workers and the manager arrive at the rendezvous one after another; rank 0 (the
    /// creator) is SIGKILLed right after it mapped, filled and arrived. Checks: the last
    /// arrival completes the rendezvous and the directory holds no region file or sidecar
    /// while the survivors still map it; the survivors still see every rank's bytes (also the
    /// dead creator's); after they exit nothing is left.
    @Test func rendezvousUnlinksDespiteSIGKILLedWorker() throws {
        let dir = ScratchDirectory()
        let id = "rdv-\(UInt32.random(in: 0...UInt32.max))"
        let seed = UInt64.random(in: 1...UInt64.max)
        let extra = ["--rendezvous", "--checksum-after", dir.path + "/check", "--verify"]
        let first = try CLIProcess(
            Self.createArguments(
                dir, id: id, rank: 0, layout: "page-aligned", seed: seed, extra: extra))
        let firstReady = try first.readEvent()
        #expect(firstReady["isCreator"] as? Bool == true)
        #expect(firstReady["rendezvous"] as? String == "waiting 1/5")
        first.signal(SIGKILL)
        #expect(first.wait() == 128 + SIGKILL)
        #expect(
            dir.regionFiles.count == 2,
            "killed creator leaves region + sidecar until the rendezvous: \(dir.regionFiles)")

        var survivors: [CLIProcess] = []
        defer {
            for child in survivors where child.process.isRunning {
                child.signal(SIGKILL)
                child.wait()
            }
        }
        for (index, rank) in [1, 2, 3, nil].enumerated() {
            let child = try CLIProcess(
                Self.createArguments(
                    dir, id: id, rank: rank, layout: "page-aligned", seed: seed, extra: extra))
            survivors.append(child)
            let ready = try child.readEvent()
            #expect(ready["isCreator"] as? Bool == false)
            let expected = index == 3 ? "completed" : "waiting \(index + 2)/5"
            #expect(ready["rendezvous"] as? String == expected, "seed=\(seed) \(ready)")
        }
        #expect(
            dir.regionFiles.isEmpty, "rendezvous must unlink region and sidecar: \(dir.regionFiles)"
        )
        dir.touch("check")
        let sums = try survivors.map { try $0.readEvent() }
        #expect(Set(sums.compactMap { $0["crc32c"] as? Int }).count == 1, "\(sums)")
        for event in sums {
            #expect(event["mismatchedBytes"] as? Int == 0, "seed=\(seed) \(event)")
        }
        for child in survivors { child.signal(SIGTERM) }
        for child in survivors { #expect(child.wait() == 0, "\(child.stderrText())") }
        #expect(dir.regionFiles.isEmpty)
    }

    /// Setup: a holder process maps a region; a stale region file (no process) and its
    /// sidecar sit next to it. Checks: `list --json` names both with the right state and the
    /// holder's pid; `inspect --json` agrees; `clean --dry-run` removes nothing; `clean`
    /// removes only the stale file and its sidecar; the holder exits 0 on SIGTERM and its
    /// region is gone.
    @Test func listInspectAndClean() throws {
        let dir = ScratchDirectory()
        let id = "live-\(UInt32.random(in: 0...UInt32.max))"
        let holder = try CLIProcess([
            "region", "create", "--instance-id", id, "--num-blocks", "4", "--num-workers", "2",
            "--cpu-page-size", "4096", "--region-dir", dir.path, "--json",
        ])
        defer {
            if holder.process.isRunning {
                holder.signal(SIGKILL)
                holder.wait()
            }
        }
        _ = try holder.readEvent()
        _ = FileManager.default.createFile(
            atPath: dir.path + "/vllm_offload_stale.mmap", contents: Data(count: 8192))
        _ = FileManager.default.createFile(
            atPath: dir.path + "/vllm_offload_stale.mmap.meta", contents: Data("{}".utf8))

        let list = try CLIProcess.run(["region", "list", "--region-dir", dir.path, "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let regions = try #require(object["regions"] as? [[String: Any]])
        let byID = Dictionary(
            uniqueKeysWithValues: regions.map { ($0["instanceID"] as! String, $0) })
        #expect(Set(byID.keys) == [id, "stale"])
        #expect(byID[id]?["state"] as? String == "live")
        #expect((byID[id]?["mappingPIDs"] as? [Int])?.contains(Int(holder.pid)) == true)
        #expect(byID["stale"]?["state"] as? String == "stale")
        #expect((byID["stale"]?["mappingPIDs"] as? [Int])?.isEmpty == true)

        let inspect = try CLIProcess.run([
            "region", "inspect", dir.path + "/vllm_offload_\(id).mmap", "--json",
        ])
        let inspected = try #require(
            try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        #expect(
            inspected["state"] as? String == "live"
                && inspected["sizeBytes"] as? Int == 4 * 2 * 4096)

        let dry = try CLIProcess.run(["region", "clean", "--region-dir", dir.path, "--dry-run"])
        #expect(dry.status == 0 && dir.regionFiles.count == 4, "\(dry.stdout) \(dir.regionFiles)")
        let clean = try CLIProcess.run(["region", "clean", "--region-dir", dir.path])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(
            dir.regionFiles == ["vllm_offload_\(id).mmap", "vllm_offload_\(id).mmap.meta"],
            "\(clean.stdout)")

        holder.signal(SIGTERM)
        #expect(holder.wait() == 0)
        #expect(dir.regionFiles.isEmpty)
    }

    /// Operating errors exit nonzero with the message on stderr and nothing on stdout.
    @Test func invalidIDFailsCleanly() throws {
        let dir = ScratchDirectory()
        let result = try CLIProcess.run([
            "region", "create", "--instance-id", "../x", "--num-blocks", "1", "--num-workers", "1",
            "--cpu-page-size", "4096", "--region-dir", dir.path, "--hold-seconds", "0",
        ])
        #expect(result.status != 0 && result.stdout.isEmpty)
        #expect(result.stderr.contains("invalid instance id"), "\(result.stderr)")
        #expect(dir.regionFiles.isEmpty)
    }
}

extension RegionMultiProcessTests {
    /// Setup: a 2 GiB region (2048 rows of 1 MiB, two 512 KiB slots) over two files
    /// (--num-segments 32), opened by two `region create` processes that share a directory
    /// barrier, pre-fault 2 MiB shards only and fill six rows on both sides of the file
    /// boundary. Checks: one creator; both files gone once the barrier passed; each process
    /// verifies both ranks' bytes in those rows through its mapping; after rank 1 is
    /// SIGKILLed and rank 0 exits, nothing is left. Without vLLM, this is the vLLM 0.33 worker
    /// shape: segments, barrier, creator unlink.
    @Test func segmentedRegionWithBarrierSurvivesSIGKILL() throws {
        let dir = ScratchDirectory()
        let id = "seg-\(UInt32.random(in: 0...UInt32.max))"
        let barrier = dir.path + "/barrier"
        #expect(mkdir(barrier, 0o700) == 0)
        let children = try (0..<2).map { rank in
            try CLIProcess([
                "region", "create", "--instance-id", id, "--region-dir", dir.path, "--num-blocks",
                "2048", "--num-workers", "2", "--cpu-page-size", "\(512 * 1024)", "--rank",
                "\(rank)", "--num-segments", "32", "--populate-shard", "\(rank)/1024",
                "--barrier-dir", barrier, "--barrier-parties", "2", "--fill-pattern", "21",
                "--fill-rows", "0,1,1023,1024,1025,2047", "--checksum-after",
                dir.path + "/check", "--verify", "--json",
            ])
        }
        defer {
            for child in children where child.process.isRunning {
                child.signal(SIGKILL)
                child.wait()
            }
        }
        let ready = try children.map { try $0.readEvent() }
        #expect(ready.filter { $0["isCreator"] as? Bool == true }.count == 1, "\(ready)")
        #expect((ready[0]["segments"] as? [String])?.count == 2)
        #expect(dir.regionFiles.isEmpty, "the barrier must unlink both files: \(dir.regionFiles)")
        dir.touch("check")
        for event in try children.map({ try $0.readEvent() }) {
            #expect(event["mismatchedBytes"] as? Int == 0, "\(event)")
        }
        children[1].signal(SIGKILL)
        #expect(children[1].wait() != 0)
        children[0].signal(SIGTERM)
        #expect(children[0].wait() == 0, "\(children[0].stderrText())")
        #expect(dir.regionFiles.isEmpty)
    }
}
