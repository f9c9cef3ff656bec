// `replay --data` with several --disk-dir (DataModeReplay.run): a refused extra directory
// leaves behind none of the directories this run created (the home included), while the
// directories that existed before the run stay, untouched; extra directories without the
// first one are refused before any directory is made.
import Foundation
import Glibc
import Spillway
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct DataModeRefusedDirectoryTests {
    static func options(home: String?, extras: [String]) -> DataModeOptions {
        var options = DataModeOptions(
            primaryBlocks: 4, diskBlocks: 8, policy: .writeThrough, blockBytes: 4096,
            diskDirectory: home)
        options.extraDiskDirectories = extras
        return options
    }

    /// Runs an empty trace and returns the refusal's text (nil when the run was accepted).
    static func refusal(_ options: DataModeOptions) -> String? {
        do {
            _ = try DataModeReplay.run(MooncakeTrace(), options: options)
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test("an extra --disk-dir that is a file: the created home and extra directory are removed, the existing ones stay")
    func refusedFileRemovesCreatedDirectories() throws {
        let scratch = ScratchDirectory(under: "/dev/shm")
        let existing = scratch.sub("existing")
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
        scratch.makeFile("plain", size: 10)
        let home = scratch.sub("home")
        let made = scratch.sub("made")
        let message = Self.refusal(
            Self.options(home: home, extras: [existing, made, scratch.sub("plain")]))
        #expect(message?.contains("is not a directory") == true, "\(message ?? "accepted")")
        // Before the fix "home" and "made" stayed behind.
        #expect(!Self.exists(home) && !Self.exists(made), "left: \(scratch.fileNames)")
        #expect(scratch.fileNames == ["existing", "plain"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing).isEmpty)
    }

    @Test("an extra --disk-dir holding another tier: created directories go, an existing home and that tier's files stay")
    func refusedTierKeepsExistingDirectories() throws {
        let scratch = ScratchDirectory(under: "/dev/shm")
        let home = scratch.sub("home")
        let occupied = scratch.sub("occupied")
        for path in [home, occupied] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        let other = occupied + "/" + DiskLayout.dataFileName(1)
        #expect(FileManager.default.createFile(atPath: other, contents: Data([1, 2, 3])))
        let made = scratch.sub("made")
        let message = Self.refusal(Self.options(home: home, extras: [made, occupied]))
        #expect(message?.contains("already holds a disk tier") == true, "\(message ?? "accepted")")
        #expect(!Self.exists(made), "left: \(scratch.fileNames)")
        #expect(scratch.fileNames == ["home", "occupied"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: home).isEmpty)
        #expect(FileManager.default.contents(atPath: other) == Data([1, 2, 3]))
    }

    @Test("extra directories without the first: refused before a temporary home is made")
    func extrasWithoutHomeMakeNoTemporaryDirectory() async {
        // In a child with its own TMPDIR: before the fix the run made a temporary home there
        // (spillway-replay-*) and left it when it refused. Exit 0 when nothing is left.
        await #expect(processExitsWith: .success) {
            let scratch = ScratchDirectory(under: "/dev/shm")
            setenv("TMPDIR", scratch.path + "/", 1)
            let extra = scratch.sub("extra")
            let message = Self.refusal(Self.options(home: nil, extras: [extra]))
            let left = scratch.fileNames
            try? FileManager.default.removeItem(atPath: scratch.path)  // exit skips deinit
            guard message?.contains("need the first one given too") == true else { exit(3) }
            exit(left.isEmpty ? 0 : 4)
        }
    }
}
