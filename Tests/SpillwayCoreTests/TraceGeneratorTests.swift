// The trace generator: byte-identical per seed, different across seeds, and chat-shaped.
import Foundation
import Testing

@testable import SpillwayCore

@Suite("Trace generator")
struct TraceGeneratorTests {
    static func parameters(seed: UInt64, requests: Int = 600) -> TraceGenerator.Parameters {
        var parameters = TraceGenerator.Parameters()
        parameters.seed = seed
        parameters.requests = requests
        return parameters
    }

    @Test(
        "same seed and settings give byte-identical JSONL",
        arguments: [0 as UInt64, 1, 0xDEAD_BEEF])
    func deterministic(seed: UInt64) {
        let first = TraceGenerator.jsonl(parameters: Self.parameters(seed: seed))
        let second = TraceGenerator.jsonl(parameters: Self.parameters(seed: seed))
        #expect(first == second, "seed \(seed)")
        #expect(first.hasSuffix("\n"))
        #expect(first.split(separator: "\n").count == 600)
    }

    @Test("different seeds give different traces")
    func seedsDiffer() {
        let a = TraceGenerator.jsonl(parameters: Self.parameters(seed: 1))
        let b = TraceGenerator.jsonl(parameters: Self.parameters(seed: 2))
        #expect(a != b)
    }

    @Test("pinned output: the first lines of seed 1 do not drift between builds")
    func pinned() {
        var parameters = Self.parameters(seed: 1, requests: 3)
        parameters.sessions = 2
        parameters.systemPrompts = 1
        parameters.systemPromptBlocksMax = 2
        parameters.turnBlocksMax = 2
        parameters.outputBlocksMax = 1
        parameters.maxContextBlocks = 8
        let text = TraceGenerator.jsonl(parameters: parameters)
        let requests = try? MooncakeTrace.parse(Array(text.utf8)).requests
        // Structure that holds for any seed: prompt first, then growing sessions.
        #expect(requests?.count == 3)
        for request in requests ?? [] {
            #expect(request.hashIDs.first == 0, "every request starts with the only prompt")
        }
        // Update deliberately (and say so in the commit) if the generator's model changes.
        #expect(
            text == """
                {"timestamp": 0, "input_length": 1536, "output_length": 1, "hash_ids": [0, 1, 2]}
                {"timestamp": 1, "input_length": 2560, "output_length": 512, "hash_ids": [0, 1, 2, 3, 4]}
                {"timestamp": 55, "input_length": 2048, "output_length": 512, "hash_ids": [0, 1, 6, 7]}

                """)
    }

    @Test("output parses back as Mooncake JSONL with consistent metadata")
    func wellFormed() throws {
        let parameters = Self.parameters(seed: 7)
        let text = TraceGenerator.jsonl(parameters: parameters)
        let trace = try MooncakeTrace.parse(Array(text.utf8))
        #expect(trace.requests == TraceGenerator.requests(parameters: parameters))
        var lastTimestamp = -1.0
        // Reference for the key order: the system prompts take the lowest keys; then each
        // request takes its turn blocks (the keys >= `next`: consecutive from `next`, ending
        // the request) and then its output blocks (outputLength / blockTokens keys, first
        // used by the session's next turn, if any). So a key first used below `next` is a
        // system prompt key (at most request 0's last key) or an earlier output block.
        var next: UInt64? = nil  // before request 0: the system prompts' total, not known here
        var systemBound: UInt64 = 0
        var outputRanges: [Range<UInt64>] = []
        var seen = Set<UInt64>()
        for (index, request) in trace.requests.enumerated() {
            #expect(!request.hashIDs.isEmpty)
            #expect(request.hashIDs.count <= parameters.maxContextBlocks)
            #expect(request.inputLength == request.hashIDs.count * parameters.blockTokens)
            #expect((request.timestamp ?? -1) >= lastTimestamp)
            lastTimestamp = request.timestamp ?? -1
            let last = try #require(request.hashIDs.last)
            if let next {
                try #require(last >= next, "request \(index) ends in old key \(last) < \(next)")
                let fresh = request.hashIDs.filter { $0 >= next }
                #expect(fresh == Array(next...last), "request \(index): fresh keys \(fresh)")
                #expect(Array(request.hashIDs.suffix(fresh.count)) == fresh, "request \(index)")
                #expect((1...parameters.turnBlocksMax).contains(fresh.count), "request \(index)")
                for key in request.hashIDs.dropLast(fresh.count) where !seen.contains(key) {
                    #expect(
                        key <= systemBound || outputRanges.contains { $0.contains(key) },
                        "request \(index): key \(key) first used out of allocation order")
                }
            } else {
                systemBound = last
            }
            let outputLength = try #require(request.outputLength, "request \(index)")
            let outputBlocks = UInt64(outputLength / parameters.blockTokens)
            outputRanges.append((last + 1)..<(last + 1 + outputBlocks))
            next = last + 1 + outputBlocks
            seen.formUnion(request.hashIDs)
        }
        #expect(outputRanges.count == parameters.requests)
    }

    @Test("prefix sharing: shared prompts, growing sessions, ceiling hit rate in a realistic range")
    func shape() throws {
        let requests = TraceGenerator.requests(parameters: Self.parameters(seed: 3, requests: 2000))
        let stats = TraceStatistics(requests: requests)
        #expect(
            stats.ceilingHitRate > 0.6 && stats.ceilingHitRate < 0.97,
            "ceiling \(stats.ceilingHitRate)")
        #expect(stats.prefixCeilingHitRate > 0.6, "prefix ceiling \(stats.prefixCeilingHitRate)")

        // Sessions grow: many requests extend an earlier request's whole key list.
        // Earlier requests indexed by (length, last key), so each candidate prefix costs a
        // dictionary probe and a comparison only on a match (cheap enough for debug builds).
        struct Tail: Hashable { var length: Int; var last: UInt64 }
        var earlier: [Tail: [[UInt64]]] = [:]
        var extensions = 0
        for request in requests {
            let ids = request.hashIDs
            #expect(!ids.isEmpty, "the generator never emits an empty request")
            guard !ids.isEmpty else { continue }
            for length in stride(from: ids.count - 1, through: 1, by: -1) {
                let candidates = earlier[Tail(length: length, last: ids[length - 1])] ?? []
                if candidates.contains(where: { $0.elementsEqual(ids[..<length]) }) {
                    extensions += 1
                    break
                }
            }
            earlier[Tail(length: ids.count, last: ids[ids.count - 1]), default: []].append(ids)
        }
        #expect(
            extensions > requests.count / 2,
            "\(extensions) of \(requests.count) extend an earlier request")

        // Shared system prompts: the most common first key starts a large share of requests
        // (Zipf over 4 prompts with exponent 1 gives the top prompt ~48% of conversations).
        var firstKeyCounts: [UInt64: Int] = [:]
        for request in requests { firstKeyCounts[request.hashIDs[0], default: 0] += 1 }
        #expect(firstKeyCounts.count <= 4)
        #expect((firstKeyCounts.values.max() ?? 0) > requests.count / 4)

        // Zipf popularity: the hottest conversation appears far more than a uniform share.
        var lastKeyOfLongest: [UInt64: Int] = [:]
        for request in requests where request.hashIDs.count > 20 {
            lastKeyOfLongest[request.hashIDs[15], default: 0] += 1
        }
        #expect((lastKeyOfLongest.values.max() ?? 0) >= 5)
    }

    @Test("zipf exponent 0 is uniform; exponent 1 favours low ranks as 1/k")
    func zipf() {
        let uniform = ZipfDistribution(count: 4, exponent: 0)
        for rank in 0..<4 { #expect(abs(uniform.probability(of: rank) - 0.25) < 1e-12) }
        let classic = ZipfDistribution(count: 3, exponent: 1)
        #expect(abs(classic.probability(of: 0) - 6.0 / 11.0) < 1e-12)
        #expect(abs(classic.probability(of: 2) - 2.0 / 11.0) < 1e-12)
        let seed: UInt64 = 99
        var random = SeededGenerator(seed: seed)
        var counts = [0, 0, 0]
        for _ in 0..<30_000 { counts[classic.sample(using: &random)] += 1 }
        for rank in 0..<3 {
            let observed = Double(counts[rank]) / 30_000
            #expect(
                abs(observed - classic.probability(of: rank)) < 0.02,
                "seed \(seed) rank \(rank): \(observed)")
        }
    }

    @Test("SeededGenerator: bounded draws stay in range and are uniform enough")
    func seededGenerator() {
        let seed: UInt64 = 12345
        var random = SeededGenerator(seed: seed)
        var counts = Array(repeating: 0, count: 7)
        for _ in 0..<70_000 {
            let value = random.next(below: 7)
            #expect(value < 7)
            counts[Int(value)] += 1
        }
        for count in counts { #expect(abs(count - 10_000) < 600, "seed \(seed): \(counts)") }
        var a = SeededGenerator(seed: 5)
        var b = SeededGenerator(seed: 5)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        for _ in 0..<1000 {
            let unit = a.nextUnitDouble()
            #expect(unit >= 0 && unit < 1)
        }
    }
}
