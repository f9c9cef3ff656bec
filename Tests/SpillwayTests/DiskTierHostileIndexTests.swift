// Hostile checkpoint files on a real file system: a header with valid CRCs but impossible
// counts must be treated as a corrupt slot, never trusted for an allocation.
import Foundation
import Glibc
import Spillway
import SpillwaySystem
import SpillwayCore
import Testing

/// A checkpoint header page with valid CRCs and the given counts (entries CRC 0).
func hostileCheckpointHeader(generation: UInt64, capacity: Int, entryCount: UInt64) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 4096)
    func put(_ value: UInt64, _ offset: Int, _ width: Int) {
        for index in 0..<width {
            header[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
        }
    }
    put(UInt64(DiskCheckpoint.magic), 0, 4)
    put(UInt64(DiskCheckpoint.version), 4, 2)
    put(generation, 8, 8)
    put(4096, 16, 4)
    put(UInt64(DiskCheckpoint.entryBytes), 20, 4)
    put(UInt64(capacity), 24, 8)
    put(1000, 32, 8)
    put(entryCount, 40, 8)
    put(8192, 48, 8)
    let crc = header.withUnsafeBytes {
        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60]))
    }
    put(UInt64(crc), 60, 4)
    return header
}

@Suite(
    "DiskTier hostile index files",
    .enabled(
        if: kernelTierUnavailable == nil, "io_uring unavailable: \(kernelTierUnavailable ?? "")"))
struct DiskTierHostileIndexTests {
    @Test(
        "a checkpoint claiming more entries than the data file has pages is corrupt, not allocated")
    func hugeEntryCountIsCorrupt() async throws {
        // In a child: before the fix the open allocated entryCount * 96 bytes (206 GB) for a
        // 4 KiB header plus a sparse file, and crashed. The child exits 0 when the open used
        // the valid older checkpoint, 3 when it trusted the hostile one, 2 on a setup failure.
        await #expect(processExitsWith: .success) {
            var template = Array("/tmp/spillway-hostile-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { exit(2) }
            let root = String(cString: made)
            let directory = root + "/tier"
            // exit() skips defer: every exit after mkdtemp goes through here.
            func finish(_ status: Int32) -> Never {
                try? FileManager.default.removeItem(atPath: root)
                exit(status)
            }
            let capacity = 1 << 20
            do {
                let tier = try DiskTierFactory.open(
                    directory: directory,
                    options: DiskTierOptions(capacityBytes: capacity, blockByteCountMax: 8192))
                let bytes = [UInt8](repeating: 7, count: 5000)
                let stored = try bytes.withUnsafeBytes {
                    try tier.store(key: BlockKey(traceID: 1), bytes: $0)
                }
                guard stored == .stored else { finish(2) }
                try tier.close()  // generation 2 in slot a, listing block 1
            } catch { finish(2) }
            // Slot b: generation 99, 2^31 - 2 entries, header CRC valid, sparse file as long
            // as the entries claim to be.
            let entryCount = UInt64(Int32.max) - 1
            let header = hostileCheckpointHeader(
                generation: 99, capacity: capacity, entryCount: entryCount)
            let fd = open(directory + "/" + DiskLayout.checkpointFileNames[1], O_WRONLY)
            guard fd >= 0,
                header.withUnsafeBytes({ pwrite(fd, $0.baseAddress, 4096, 0) }) == 4096,
                ftruncate(fd, off_t(DiskCheckpoint.byteCount(entryCount: Int(entryCount)))) == 0
            else { finish(2) }
            close(fd)
            do {
                let tier = try DiskTierFactory.open(
                    directory: directory, options: DiskTierOptions())
                // The hostile slot is reported corrupt; block 1 comes back (from slot a,
                // confirmed by the scan), and the recovered index was rewritten past 2.
                let generation = tier.inspect().checkpointGeneration
                let has = tier.contains(BlockKey(traceID: 1))
                let reported =
                    tier.recovery?.corruptCheckpoints == [DiskLayout.checkpointFileNames[1]]
                try? tier.close()
                finish(generation >= 2 && generation < 99 && has && reported ? 0 : 3)
            } catch {
                finish(3)
            }
        }
    }
}
