// The scanner's id scratch follows the ids a line holds, not its length, and stays correct
// when it grows or when a scanner is copied mid-stream.
import Foundation
import SpillwayCore
import SpillwayTesting
import Synchronization
import Testing

@Suite struct MooncakeScannerScratchTests {
    /// Scans `text` in chunks of `chunk` bytes; returns the trace and the scratch's capacity.
    static func scan(_ text: [UInt8], chunk: Int, skipBadLines: Bool = false) throws -> (MooncakeTrace, Int) {
        var scanner = MooncakeScanner(skipBadLines: skipBadLines)
        try scanner.consume(text, chunkSize: chunk)
        let trace = try scanner.finish()
        return (trace, scanner.idScratchCapacity)
    }

    /// Setup: 8 MiB lines with three ids each: one padded with whitespace inside the object,
    /// one with an 8 MiB string field (unknown key), one with an 8 MiB array of non-ids (a
    /// bad line, skipped). Checks: the ids parse, and the scratch holds at most 1024 ids
    /// (sizing by the line's length, as before, reserved 4 Mi ids = 32 MiB per 8 MiB line).
    @Test(arguments: [1 << 16, 1 << 24])
    func longLinesWithFewIDsKeepTheScratchSmall(chunk: Int) throws {
        let size = 8 << 20
        let spaces = String(repeating: " ", count: size)
        let string = String(repeating: "x", count: size)
        let strings = String(repeating: "\"\",", count: size / 3)
        let text = Array(
            """
            {"hash_ids": [1, 2, 3]\(spaces)}
            {"pad": "\(string)", "hash_ids": [4, 5, 6]}
            {"hash_ids": [7, 8, \(strings) 9]}
            {"hash_ids": [10]}

            """.utf8)
        let (trace, capacity) = try Self.scan(text, chunk: chunk, skipBadLines: true)
        #expect(trace.requests.map(\.hashIDs) == [[1, 2, 3], [4, 5, 6], [10]])
        #expect(trace.skippedLineNumbers == [3])
        #expect(capacity <= 1024, "id scratch capacity \(capacity) for lines of three ids")
    }

    /// Setup: lines of 0, 1, 300, 100 000 and 5 ids (the scratch grows twice or more mid-line),
    /// one of them with a bad element after 70 000 good ones. Checks: every line's ids equal
    /// the generated ones (plain, exponent and 20-digit forms), and the capacity stays
    /// within twice the longest line's ids.
    @Test func growingMidLineKeepsEveryID() throws {
        var generator = SplitMix64(seed: 11)
        let counts = [0, 1, 300, 100_000, 5, 70_000]
        var expected: [[UInt64]] = []
        var text = ""
        for (lineIndex, count) in counts.enumerated() {
            let ids = (0..<count).map { _ in generator.next() >> (generator.next() % 64) }
            var tokens = ids.enumerated().map { index, id in
                // Some ids in forms the general path converts: `1e2`-style and 20 digits.
                index % 97 == 5 && id < 1000 ? "\(id)e0" : "\(id)"
            }
            if lineIndex == 5 {
                tokens.append("-1")
            } else {
                expected.append(ids)
            }
            text += "{\"hash_ids\": [" + tokens.joined(separator: ", ") + "]}\n"
        }
        text += "{\"hash_ids\": [18446744073709551615, 10000000000000000000]}\n"
        expected.append([.max, 10_000_000_000_000_000_000])
        let (trace, capacity) = try Self.scan(Array(text.utf8), chunk: 4096, skipBadLines: true)
        #expect(trace.requests.map(\.hashIDs) == expected)
        #expect(trace.skippedLineNumbers == [6])
        #expect(capacity >= 100_000 && capacity <= 200_000, "capacity \(capacity)")
    }

    /// Setup: a scanner copied after its first line, then both copies fed different lines
    /// at the same time on two threads (each line longer than the last, so both grow the
    /// scratch again and again). Checks: each copy's trace has exactly its own ids.
    @Test func copiedScannersDoNotShareTheScratch() throws {
        var original = MooncakeScanner()
        try Array("{\"hash_ids\": [1, 2]}\n".utf8).withUnsafeBytes { try original.consume($0) }
        let copies = [original, original]
        let results = Mutex<[[[UInt64]]]>([[], []])
        DispatchQueue.concurrentPerform(iterations: 2) { copy in
            var scanner = copies[copy]
            var expected: [[UInt64]] = [[1, 2]]
            for length in stride(from: 1, through: 3000, by: 7) {
                let ids = (0..<length).map { UInt64(copy * 1_000_000 + length * 1000 + $0) }
                expected.append(ids)
                let line = "{\"hash_ids\": [" + ids.map(String.init).joined(separator: ",") + "]}\n"
                try! Array(line.utf8).withUnsafeBytes { try scanner.consume($0) }
            }
            let got = try! scanner.finish().requests.map(\.hashIDs)
            results.withLock { $0[copy] = got == expected ? [] : got }
        }
        #expect(results.withLock { $0 } == [[], []], "a copy's trace differs from its lines")
    }
}
