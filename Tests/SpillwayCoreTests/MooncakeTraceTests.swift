// The Mooncake trace reader: round trips, blank lines, and malformed lines by number.
import Foundation
import Testing
import SpillwayCore
import SpillwayTesting

@Suite struct MooncakeTraceTests {
    @Test func parsesLinesAndRoundTrips() throws {
        let requests = [
            TraceRequest(timestamp: 0, inputLength: 40160, outputLength: 6, hashIDs: [0, 1, 2]),
            TraceRequest(hashIDs: []),
            TraceRequest(timestamp: 277, hashIDs: [UInt64.max, 7]),
        ]
        let text = requests.map(MooncakeTrace.line(for:)).joined(separator: "\n") + "\n\n"
        let trace = try MooncakeTrace.parse(Array(text.utf8))
        #expect(trace.requests == requests)
        #expect(trace.blockCount == 5)
        #expect(trace.skippedLineNumbers.isEmpty)
    }

    @Test(arguments: [
        ("{\"hash_ids\": [1, -2]}", "hash_ids[1] is not a non-negative integer"),
        ("{\"hash_ids\": [1.5]}", "hash_ids[0] is not"),
        ("{\"timestamp\": 3}", "missing field 'hash_ids'"),
        ("[1,2,3]", "not a JSON object"),
        ("{\"hash_ids\": [1, 2", "not valid JSON"),
        ("\u{0}\u{1}garbage", "not valid JSON"),
    ])
    func malformedLineIsNamedByNumber(line: String, fragment: String) throws {
        let text = "{\"hash_ids\": [1]}\n\n" + line + "\n{\"hash_ids\": [2]}\n"
        #expect(throws: TraceParseError.self) { try MooncakeTrace.parse(Array(text.utf8)) }
        do {
            _ = try MooncakeTrace.parse(Array(text.utf8))
        } catch let error as TraceParseError {
            #expect(error.lineNumber == 3)
            #expect(error.message.contains(fragment), "\(error)")
        }
        let skipped = try MooncakeTrace.parse(Array(text.utf8), skipBadLines: true)
        #expect(skipped.skippedLineNumbers == [3])
        #expect(skipped.requests.map(\.hashIDs) == [[1], [2]])
    }

    @Test func readsTheSharedTrace() throws {
        // SharedTraces finds the repository fixture Tests/Fixtures/traces from #filePath.
        let directory = try #require(
            SharedTraces.directory(testFile: #filePath),
            "Tests/Fixtures/traces not found above \(#filePath)")
        let url = directory.appendingPathComponent("mooncake-synthetic.jsonl")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("trace fixture not readable at \(url.path)")
            return
        }
        let trace = try MooncakeTrace.parse(Array(data))
        #expect(trace.requests.count == 3993)
        #expect(trace.blockCount == 121877)
    }
}
