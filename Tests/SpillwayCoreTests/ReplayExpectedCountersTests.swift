// The simulated replay reproduces shared/traces/mooncake-synthetic.expected.json exactly.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct ReplayExpectedCountersTests {
    static func load() throws -> (MooncakeTrace, [ReplayCounters], [[String: Any]]) {
        let directory = try #require(
            SharedTraces.directory(testFile: #filePath), "shared/traces not found above \(#filePath)")
        let traceBytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent("mooncake-synthetic.jsonl")))
        let expectedData = try Data(contentsOf: directory.appendingPathComponent("mooncake-synthetic.expected.json"))
        let expected = try JSONDecoder().decode([ReplayCounters].self, from: expectedData)
        let raw = try #require(try JSONSerialization.jsonObject(with: expectedData) as? [[String: Any]])
        return (try MooncakeTrace.parse(traceBytes), expected, raw)
    }

    /// Setup: every configuration of the expected file, replayed in simulation with invariant
    /// checks every 500 requests. Checks: every counter equal, and the encoded JSON object
    /// has exactly the expected keys with equal values.
    @Test func allSixConfigurationsMatch() throws {
        let (trace, expected, raw) = try Self.load()
        #expect(expected.count == 6)
        for (index, want) in expected.enumerated() {
            let replay = ReplayEngine(
                primaryBlocks: want.primaryBlocks, diskBlocks: want.diskBlocks, policy: want.policy)
            for (number, request) in trace.requests.enumerated() {
                replay.replay(request)
                if number % 500 == 0 { replay.engine.directory.checkInvariants() }
            }
            replay.engine.directory.checkInvariants()
            let got = replay.counters
            #expect(got == want, "configuration \(index): got \(got)")
            let encoded = try JSONEncoder().encode(got)
            let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
            #expect(Set(object.keys) == Set(raw[index].keys))
            for (key, value) in raw[index] {
                #expect("\(object[key] ?? "nil")" == "\(value)", "configuration \(index) key \(key)")
            }
        }
    }
}
