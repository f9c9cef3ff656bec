// The disk tier on a real kernel: io_uring with O_DIRECT under /tmp and buffered under
// /dev/shm, restart through the real files, and a real `spillway disk fill` child killed
// with SIGKILL mid-write, then reopened and verified.
import Foundation
import Glibc
import Spillway
import SpillwaySystem
import SpillwayCore
import SpillwayTesting
import Testing

/// A fresh private directory under `parent`, removed afterwards.
final class TierDirectory {
    let path: String
    init(under parent: String) throws {
        var template = Array("\(parent)/spillway-disk-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw DiskTierError(.backend, "mkdtemp under \(parent) failed (errno \(errno))")
        }
        path = String(cString: made) + "/tier"
    }
    deinit {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}

let kernelTierUnavailable = IOURingSupport.unavailableReason()

/// The built `spillway` binary, or nil when `swift build` has not run.

@Suite(
    "DiskTier on the kernel",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct DiskTierKernelTests {
    @Test(
        "store, load, evict, close and reopen through io_uring", arguments: ["/tmp", "/dev/shm"],
        [true, false])
    func roundTripAndReopen(parent: String, registered: Bool) throws {
        try #require(FileManager.default.fileExists(atPath: parent), "\(parent) does not exist")
        let directory = try TierDirectory(under: parent)
        let lengths = [1, 4000, 4096, 65536, 100_000, 262_144]
        let kinds: [PayloadKind] = [.random, .bf16, .zeros, .mixed(compressibleFraction: 0.3)]
        do {
            let tier = try DiskTierFactory.open(
                directory: directory.path,
                options: {
                    var options = DiskTierOptions(
                        capacityBytes: 4 << 20, blockByteCountMax: 262_144, codec: .lz4Shuffle2,
                        jobCountMax: 16)
                    options.registersBuffers = registered
                    return options
                }(),
                queueDepth: 16)
            if !registered { #expect(!tier.usesRegisteredBuffers) }
            if parent == "/dev/shm" { #expect(!tier.io.usesDirectIO, "tmpfs cannot do O_DIRECT") }
            var evicted: Set<BlockKey> = []
            tier.evictionHandler = { evicted.insert($0) }
            for index in 0..<120 {
                let key = BlockKey(traceID: UInt64(index))
                let length = lengths[index % lengths.count]
                let buffer = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: length, alignment: 4096)
                defer { buffer.deallocate() }
                PayloadGenerator.fill(buffer, key: key, kind: kinds[index % kinds.count])
                #expect(try tier.store(key: key, bytes: UnsafeRawBufferPointer(buffer)) == .stored)
                #expect(tier.usedBytes <= tier.capacityBytes)
            }
            tier.checkInvariants()
            #expect(!evicted.isEmpty, "4 MiB should not hold all 120 blocks")
            #expect(tier.blockCount + evicted.count == 120)
            try tier.close()
        }
        let tier = try DiskTierFactory.open(
            directory: directory.path, options: DiskTierOptions(), queueDepth: 16)
        let sink = UnsafeMutableRawBufferPointer.allocate(byteCount: 262_144, alignment: 4096)
        defer { sink.deallocate() }
        var present = 0
        for index in 0..<120 {
            let key = BlockKey(traceID: UInt64(index))
            let outcome = try tier.load(key: key, into: sink)
            if outcome == .miss { continue }
            present += 1
            let length = lengths[index % lengths.count]
            #expect(outcome == .loaded(byteCount: length), "block \(index): \(outcome)")
            #expect(
                PayloadGenerator.matches(
                    UnsafeRawBufferPointer(rebasing: sink[0..<length]), key: key,
                    kind: kinds[index % kinds.count]))
        }
        #expect(present == tier.blockCount)
        let report = try tier.verify()
        #expect(report.verified == report.blocks && report.corrupt == 0 && report.unreadable == 0)
        let permissions =
            try FileManager.default.attributesOfItem(
                atPath: directory.path + "/" + DiskLayout.dataFileName)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    /// Runs `spillway disk fill` with O_DIRECT required (the tests need it: /tmp is ext4
    /// here; the child exits naming the reason when the kernel refuses), SIGKILLs it once it
    /// reported `synced N` for N >= `killAfter`, and returns the highest N it reported.
    func fillAndKill(binary: String, directory: String, extra: [String], killAfter: Int) throws
        -> Int
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "disk", "fill", "--disk-dir", directory, "--blocks", "4000", "--block-bytes", "65536",
                "--payload", "bf16", "--sync-every", "50", "--queue-depth", "16",
                "--direct-io", "required",
            ] + extra
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var synced = 0
        var pending = Data()
        var lines: [String] = []
        let handle = stderr.fileHandleForReading
        while synced < killAfter {
            let chunk = handle.availableData
            if chunk.isEmpty { break }  // the child exited before reaching killAfter
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                lines.append(line)
                if line.hasPrefix("synced "), let count = Int(line.dropFirst(7)) {
                    synced = max(synced, count)
                }
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(
            process.terminationReason == .uncaughtSignal,
            "the child finished before it was killed (raise --blocks), or failed: \(lines.suffix(5))"
        )
        return synced
    }

    func verifyJSON(binary: String, directory: String, extra: [String] = []) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            ["disk", "verify", "--disk-dir", directory, "--pattern", "bf16", "--json"] + extra
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "verify exited \(process.terminationStatus)")
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    @Test(
        "spillway disk fill killed with SIGKILL mid-write: every synced block verifies, no wrong block"
    )
    func killNineMidWrite() throws {
        let directory = try TierDirectory(under: "/tmp")
        let tier = try killAndVerify([directory.path])
        try tier.close()
    }

    /// Fills a tier over `directories` (home first) with lz4, SIGKILLs the writer after 300
    /// synced blocks, checks with `disk verify` that every block verifies and none is
    /// wrong, and returns the tier reopened in process after checking every synced key.
    func killAndVerify(_ directories: [String]) throws -> DiskTier<URingIO> {
        // The spillway this test build produced; throws naming the path when it is missing.
        let binary = try CLIProcess.executableURL().path
        let extra = directories.dropFirst().flatMap { ["--disk-dir", $0] }
        let synced = try fillAndKill(
            binary: binary, directory: directories[0], extra: extra + ["--compression", "lz4"],
            killAfter: 300)
        #expect(synced >= 300, "the child reported only \(synced) synced blocks")
        let report = try verifyJSON(binary: binary, directory: directories[0], extra: extra)
        let blocks = report["blocks"] as? Int ?? -1
        #expect(blocks >= synced, "only \(blocks) blocks after reopen, \(synced) were synced")
        #expect(report["verified"] as? Int == blocks, "\(report)")
        #expect(report["corrupt"] as? Int == 0 && report["unreadable"] as? Int == 0, "\(report)")
        #expect(report["pattern_mismatch"] as? Int == 0, "a wrong block was served: \(report)")
        // In process too: every key below the synced count is there.
        let tier = try DiskTierFactory.open(
            directories: directories, options: DiskTierOptions(), queueDepth: 8)
        for key in 0..<UInt64(synced) {
            #expect(tier.contains(BlockKey(traceID: key)), "synced key \(key) lost")
        }
        return tier
    }

    @Test(
        "spillway disk fill over two directories killed with SIGKILL: every synced block verifies, both data files hold blocks"
    )
    func killNineStriped() throws {
        let home = try TierDirectory(under: "/tmp")
        let second = try TierDirectory(under: "/tmp")
        let tier = try killAndVerify([home.path, second.path])
        #expect(tier.dataFileCount == 2 && tier.usedBytes(inFile: 0) > 0 && tier.usedBytes(inFile: 1) > 0)
        try tier.close()
        // The home alone is refused, naming the directories the tier was created with.
        #expect(throws: DiskTierError.self) {
            _ = try DiskTierFactory.open(directory: home.path, options: DiskTierOptions())
        }
    }

    @Test(
        "SIGKILL while evictions reuse extents listed by the last sync: the reopened tier is full, no block is served wrong, and only blocks evicted after the sync fail their check"
    )
    func killNineWithEvictions() throws {
        // The spillway this test build produced; throws naming the path when it is missing.
        let binary = try CLIProcess.executableURL().path
        let directory = try TierDirectory(under: "/tmp")
        // Room for about 100 blocks: from block 100 on every store evicts and reuses extents.
        let synced = try fillAndKill(
            binary: binary, directory: directory.path,
            extra: ["--capacity-bytes", String(100 * 69632)], killAfter: 400)
        #expect(synced >= 400)
        let report = try verifyJSON(binary: binary, directory: directory.path)
        // What reopening must give: the index of the last completed sync (checkpoint plus
        // journal, no scan), which lists a full tier: 100 extents of 64 KiB + 4 KiB header,
        // equal sizes, so every store from block 100 on evicts exactly one. The child went on
        // storing after that sync until the kill: each such store evicted a listed block and
        // may have reused its extent, and that listed block then fails its key check on load
        // (corrupt: detected, dropped, never served; docs/DISK_FORMAT.md). Those stores are
        // fewer than one sync interval (50) plus the queue depth (16), so at most 65 listed
        // blocks can be corrupt; every other one verifies with the bytes of its key, and none
        // is unreadable or served wrong.
        let blocks = report["blocks"] as? Int ?? -1
        let verified = report["verified"] as? Int ?? -1
        let corrupt = report["corrupt"] as? Int ?? -1
        #expect(blocks == 100, "reopened with \(blocks) blocks, expected a full tier: \(report)")
        #expect(verified + corrupt == blocks && (0...65).contains(corrupt), "\(report)")
        #expect(report["unreadable"] as? Int == 0, "\(report)")
        #expect((report["corrupt_checkpoints"] as? [Any])?.isEmpty == true, "\(report)")
        #expect(report["pattern_mismatch"] as? Int == 0, "a wrong block was served: \(report)")
    }
}
