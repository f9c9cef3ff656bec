// The engine-facing tier striped over several directories (what the C ABI's
// `extra_directories` and Python's `Tier(extra_directories=)` open): rows round-trip with a
// data file in each directory, the list is fixed at creation, and a bad list is refused
// before anything is created.
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem
import SpillwayTesting
import Testing

@Suite("Offload tier directories")
struct OffloadTierDirectoriesTests {
    static let rowStride = 16384
    static let rowCount = 16

    static func key(_ index: Int) -> BlockKey { BlockKey(traceID: 0x5EED_0000 + UInt64(index)) }

    static func configuration(_ home: String, _ extras: [String], capacity: Int?)
        -> OffloadTierConfiguration
    {
        var configuration = OffloadTierConfiguration(directory: home, capacityBytes: capacity)
        configuration.extraDirectories = extras
        configuration.encoderThreads = 0
        return configuration
    }

    static func rows(_ memory: IOTestBuffer) throws -> RowMemory {
        try RowMemory(base: memory.pointer, rowStride: rowStride, rowCount: rowCount)
    }

    /// A scratch directory with the paths the tests use, and rows to store from.
    struct Fixture {
        let scratch = ScratchDirectory(under: "/tmp")
        let memory = IOTestBuffer(byteCount: rowStride * rowCount)
        var home: String { scratch.sub("home") }
        var extra: String { scratch.sub("extra") }
        var other: String { scratch.sub("other") }

        func open(_ extras: [String], capacity: Int?) throws -> OffloadTier<URingIO> {
            try OffloadTier.open(
                OffloadTierDirectoriesTests.configuration(home, extras, capacity: capacity),
                memory: OffloadTierDirectoriesTests.rows(memory))
        }

        /// Expects opening with `extras` to fail with `code` and a message holding `expected`.
        func expectRefused(
            _ extras: [String], capacity: Int?, _ code: OffloadTierError.Code, _ expected: String
        ) {
            do {
                try open(extras, capacity: capacity).close()
                Issue.record("opening with \(extras) succeeded")
            } catch let error as OffloadTierError {
                #expect(error.code == code)
                #expect(error.message.contains(expected), "\(error.message)")
            } catch {
                Issue.record("opening with \(extras) threw \(error)")
            }
        }
    }

    /// Runs one job to its result.
    static func run(_ tier: OffloadTier<URingIO>, _ job: OffloadJob) throws -> OffloadJobResult {
        try tier.submit(job)
        tier.drain()
        let results = tier.poll()
        #expect(results.count == 1)
        return try #require(results.first)
    }

    @Test("16 rows stored over two directories land in both files and load back after a reopen")
    func roundTrip() throws {
        let fixture = Fixture()
        let (home, extra, memory) = (fixture.home, fixture.extra, fixture.memory)
        for row in 0..<Self.rowCount {
            PayloadGenerator.fill(
                UnsafeMutableRawBufferPointer(
                    start: memory.pointer + row * Self.rowStride, count: Self.rowStride),
                key: Self.key(row), kind: .random)
        }
        let keys = (0..<Self.rowCount).map(Self.key)
        let tier = try fixture.open([extra], capacity: 4 << 20)
        let stored = try Self.run(
            tier, OffloadJob(id: 1, kind: .store, keys: keys, rows: Array(0..<Self.rowCount)))
        #expect(stored.isSuccess)
        #expect(tier.stats().capacityBytes == 4 << 20)
        try tier.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: extra) == ["spillway-data.1"])
        for path in [home + "/spillway-data.0", extra + "/spillway-data.1"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = try #require(attributes[.size] as? Int)
            #expect(size == 2 << 20, "\(path) has \(size) bytes")
        }

        memory.bytes.initializeMemory(as: UInt8.self, repeating: 0)
        let again = try fixture.open([extra], capacity: nil)
        let reversed = Array((0..<Self.rowCount).reversed())
        let loaded = try Self.run(again, OffloadJob(id: 2, kind: .load, keys: keys, rows: reversed))
        #expect(loaded.isSuccess)
        for (index, row) in reversed.enumerated() {
            #expect(
                PayloadGenerator.matches(
                    UnsafeRawBufferPointer(
                        start: memory.pointer + row * Self.rowStride, count: Self.rowStride),
                    key: Self.key(index), kind: .random), "row \(row) does not hold key \(index)")
        }
        try again.close()
    }

    @Test("Reopening with another list fails naming the difference; the right list opens")
    func listIsFixed() throws {
        let fixture = Fixture()
        let (extra, other) = (fixture.extra, fixture.other)
        try fixture.open([extra], capacity: 1 << 20).close()
        let created = URL(fileURLWithPath: extra).resolvingSymlinksInPath().path
        for (extras, expected) in [
            ([other], "directory 2: created \(created), given \(other)"),
            ([], "directory 2: created \(created), given none"),
            ([extra, other], "directory 3: created none, given \(other)"),
        ] {
            fixture.expectRefused(extras, capacity: nil, .openFailed, expected)
        }
        try fixture.open([extra], capacity: nil).close()
    }

    @Test("An empty, repeated or 64th extra directory is refused before anything is created")
    func badListsAreRefused() throws {
        let fixture = Fixture()
        let (home, extra) = (fixture.home, fixture.extra)
        for (extras, expected) in [
            ([""], "extra_directories[0] is empty"),
            ([extra, extra], "extra_directories[1] (\(extra)) repeats extra_directories[0]"),
            ([extra, extra + "//"], "repeats extra_directories[0]"),
            ([home + "/"], "repeats the home directory"),
            ((0..<64).map { extra + String($0) }, "64 extra directories"),
        ] {
            fixture.expectRefused(extras, capacity: 1 << 20, .invalidArgument, expected)
        }
        #expect(fixture.scratch.fileNames.isEmpty)
    }
}
