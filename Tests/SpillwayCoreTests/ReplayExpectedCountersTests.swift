// The simulated replay reproduces Tests/Fixtures/traces/mooncake-synthetic.expected.json
// exactly, and scripts/lru_reference.py reproduces every fixture's expected counters, equal
// to the Swift replay's.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct ReplayExpectedCountersTests {
    static func load() throws -> (MooncakeTrace, [ReplayCounters], [[String: Any]]) {
        let directory = try #require(
            SharedTraces.directory(testFile: #filePath),
            "Tests/Fixtures/traces not found above \(#filePath)")
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

    /// Runs `python3 scripts/lru_reference.py TRACE --expected-for P:D:POLICY...` (the
    /// repository's independent reference) and returns its JSON array.
    static func referenceScript(trace: URL, configurations: [ReplayCounters]) throws
        -> [[String: Any]]
    {
        let root = try #require(
            SharedTraces.repositoryRoot(testFile: #filePath), "no Package.swift above \(#filePath)")
        let script = root.appendingPathComponent("scripts/lru_reference.py")
        let result = try ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", script.path, trace.path, "--expected-for"]
                + configurations.map {
                    "\($0.primaryBlocks):\($0.diskBlocks):\($0.policy.rawValue)"
                })
        try #require(
            result.status == 0,
            "python3 \(script.path) exited \(result.status) (python3 is required; scripts/setup.sh installs it): \(result.stderr)"
        )
        return try #require(
            try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
    }

    /// Setup: each trace fixture and its expected file (six configurations). Checks: the
    /// reference script, run now on the fixture, prints exactly the committed counters (same
    /// keys, equal values), and the Swift replay of each configuration (directory invariants
    /// checked at the end) encodes to the script's counters, key for key.
    @Test(arguments: ["mooncake-synthetic", "generated-seed7", "edge-cases"])
    func referenceScriptAndSwiftReplayMatchTheFixture(name: String) throws {
        let directory = try #require(
            SharedTraces.directory(testFile: #filePath),
            "Tests/Fixtures/traces not found above \(#filePath)")
        let traceURL = directory.appendingPathComponent("\(name).jsonl")
        let expectedData = try Data(
            contentsOf: directory.appendingPathComponent("\(name).expected.json"))
        let expected = try JSONDecoder().decode([ReplayCounters].self, from: expectedData)
        let committed = try #require(
            try JSONSerialization.jsonObject(with: expectedData) as? [[String: Any]])
        #expect(expected.count == 6)
        let script = try Self.referenceScript(trace: traceURL, configurations: expected)
        try #require(script.count == committed.count, "\(name): script printed \(script.count)")
        let trace = try MooncakeTrace.parse([UInt8](Data(contentsOf: traceURL)))
        for (index, want) in expected.enumerated() {
            let label = "\(name) configuration \(index)"
            #expect(Set(script[index].keys) == Set(committed[index].keys), "\(label)")
            for (key, value) in committed[index] {
                #expect(
                    "\(script[index][key] ?? "nil")" == "\(value)", "\(label) key \(key): script")
            }
            let replay = ReplayEngine(
                primaryBlocks: want.primaryBlocks, diskBlocks: want.diskBlocks, policy: want.policy)
            for request in trace.requests { replay.replay(request) }
            replay.engine.directory.checkInvariants()
            let encoded = try JSONEncoder().encode(replay.counters)
            let swift = try #require(
                try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
            #expect(Set(swift.keys) == Set(script[index].keys), "\(label)")
            for (key, value) in script[index] {
                #expect("\(swift[key] ?? "nil")" == "\(value)", "\(label) key \(key): Swift")
            }
        }
    }
}
