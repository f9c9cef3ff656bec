// MooncakeScanner against the JSONDecoder reader it replaced (ReferenceTraceDecoder, judged by
// TraceReaderComparison): the fixtures, every chunking of a trace, seeded random and mutated lines.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing

@Suite struct MooncakeScannerDifferentialTests {
    /// Setup: each fixture trace. Checks: the scanner's trace equals the reference's.
    @Test(arguments: ["mooncake-synthetic.jsonl", "generated-seed7.jsonl", "edge-cases.jsonl"])
    func fixturesParseAsBefore(name: String) throws {
        let directory = try #require(SharedTraces.directory(testFile: #filePath))
        let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        let scanned = TraceReaderOutcome.scanner(bytes)
        #expect(scanned == TraceReaderOutcome.reference(bytes))
        if case .parsed(let trace) = scanned { #expect(trace.count > 0) }
    }

    /// Setup: the edge-case fixture plus a bad line, cut into chunks of every size from 1 to
    /// 64 bytes. Checks: the streamed result equals the one-chunk result (lines spanning
    /// chunks, a last line without newline).
    @Test func chunkingDoesNotMatter() throws {
        let directory = try #require(SharedTraces.directory(testFile: #filePath))
        var bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent("edge-cases.jsonl")))
        bytes += Array("{\"hash_ids\": [1, \"x\"]}\n\r\n{\"hash_ids\": [4]}".utf8)
        let whole = try MooncakeTrace.parse(bytes, skipBadLines: true)
        #expect(whole.skippedLineNumbers == [12])
        for size in 1...64 {
            var scanner = MooncakeScanner(skipBadLines: true)
            try scanner.consume(bytes, chunkSize: size)
            #expect(try scanner.finish() == whole, "chunk size \(size)" as Comment)
        }
    }

    /// Setup: seeded random lines built from valid and borderline pieces (quirks of
    /// Foundation's decoder included), a third of them mutated byte-wise. Checks: every line
    /// alone and all lines as one file (with --skip-bad-lines) give the same outcome.
    @Test func randomAndMutatedLinesAgree() {
        let seed = SplitMix64.seed(fallback: 0x5CA9_2026)
        var rng = SplitMix64(seed: seed)
        var file: [UInt8] = []
        var disagreements: [String] = []
        var accepted = 0
        let lines = 6000
        for _ in 0..<lines {
            var line = RandomTraceLine.make(&rng)
            if rng.chance(0.35) { RandomTraceLine.mutate(&line, &rng) }
            if case .parsed = TraceReaderOutcome.reference(line) { accepted += 1 }
            if let difference = TraceReaderComparison.difference(line), disagreements.count < 8 {
                disagreements.append(
                    "\(String(decoding: line.prefix(300), as: UTF8.self).debugDescription): \(difference)")
            }
            file += line + [0x0A]
        }
        #expect(disagreements.isEmpty, "seed \(seed):\n\(disagreements.joined(separator: "\n"))")
        // Both outcomes occur often enough for the comparison to mean something.
        #expect(accepted > lines / 5 && accepted < lines * 4 / 5, "seed \(seed): \(accepted) accepted")
        let lenient = TraceReaderComparison.difference(file, skipBadLines: true)
        #expect(lenient == nil, "seed \(seed): the lines as one file, bad lines skipped")
        let strict = TraceReaderComparison.difference(file)
        #expect(strict == nil, "seed \(seed): the lines as one file, first bad line")
    }
}

/// Random Mooncake lines: known fields with good and borderline values, unknown fields with
/// lenient values, random whitespace, key order, duplicates and trailing commas.
enum RandomTraceLine {
    static let ids = [
        "0", "1", "42", "123456789", "18446744073709551615", "18446744073709551616", "-0", "-1",
        "1.0", "1e2", "1E+2", "1.5", "01", "00", "1.", "-", "1e", "9007199254740993.0", "1e-400",
        "1.00000000000000001", "18446744073709551615.0", "1e19", "-0.0", "5E-1", "null", "\"7\"",
        "true", "[1]", "{}", "1-2", "470238877655538422.7", "1844674407370955161.59",
        "9007199254740993.00000", "18446744073709550000.9", "1.8446744073709550e19", "1e-320",
    ]
    static let timestamps = [
        "0", "-0", "277", "1.5", "1e400", "1e-400", "\"3\"", "null", "01", "1.", "-", "0.1",
        "123456789012345678901234567890", "true", "[]", "1.5E+2", "-1.5e-2", "1e5.5", "5e-324",
        "1.7976931348623159e308", "0e-400",
    ]
    static let lengths = [
        "5", "-5", "1.0", "1.5", "1e2", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "null", "\"x\"", "1e19", "-0", "{}", "9007199254740993.7",
        "-9007199254740993.7", "-9223372036854775808.0", "1e-400",
    ]
    static let unknownKeys = [
        "x", "", "hash_idz", "HASH_IDS", "hash_\\u0069ds", "time\\u0073tamp", "\\ud800", "x\\q",
        "\\u0000", "x\ty", "\\ud83d\\ude00", "input_\\u006cength", "é",
    ]
    static let unknownValues = [
        "\"a\\\"b\"", "\"\\q\"", "\"\\uZZZZ\"", "\"\\u12\"", "\"a\tb\"", "\"\u{1}\"", "\"\\u12345\"",
        "\"\\\"", "1-2", "--1", "1..2", "+1", ".5", "0x10", "1.e5", "true", "false", "null", "tru",
        "nul", "[1,]", "[,]", "{\"a\":1,}", "{\"a\"}", "{1:2}", "[[[]]]", "{\"k\\q\":1}", "[1 2]",
        "{\"a\":[true,{\"b\":null}]}", "-", "1e99999", "\"\\ud800\"",
        String(repeating: "[", count: 511) + String(repeating: "]", count: 511),
        String(repeating: "[", count: 512) + String(repeating: "]", count: 512),
    ]
    static let spaces = ["", "", " ", "\t", "\r", "  "]

    static func pick(_ list: [String], _ rng: inout SplitMix64) -> String { list[rng.below(list.count)] }

    static func make(_ rng: inout SplitMix64) -> [UInt8] {
        func ws() -> String { pick(spaces, &rng) }
        var members: [String] = []
        if !rng.chance(0.05) {
            var elements: [String] = []
            for _ in 0..<rng.below(6) {
                elements.append(rng.chance(0.85) ? String(rng.next() >> UInt64(rng.below(64))) : pick(ids, &rng))
            }
            let trailing = !elements.isEmpty && rng.chance(0.05) ? "," : ""
            let value =
                rng.chance(0.03) ? pick(["null", "\"x\"", "{}", "7"], &rng)
                : "[" + ws() + elements.joined(separator: ws() + "," + ws()) + trailing + ws() + "]"
            members.append("\"hash_ids\"" + ws() + ":" + ws() + value)
        }
        if rng.chance(0.4) { members.append("\"timestamp\": " + (rng.chance(0.6) ? String(rng.below(100_000)) : pick(timestamps, &rng))) }
        if rng.chance(0.3) { members.append("\"input_length\": " + (rng.chance(0.6) ? String(rng.below(9999)) : pick(lengths, &rng))) }
        if rng.chance(0.3) { members.append("\"output_length\":" + ws() + pick(lengths, &rng)) }
        for _ in 0..<rng.below(3) {
            members.append("\"" + pick(unknownKeys, &rng) + "\"" + ws() + ":" + ws() + pick(unknownValues, &rng))
        }
        if rng.chance(0.05), let first = members.first { members.append(first) }
        members.shuffle(using: &rng)
        if rng.chance(0.04) { members.append(pick(["\"hash_ids\": \"x\"", "\"hash_ids\": [-1]", "\"timestamp\": \"x\""], &rng)) }
        var text = ws() + "{" + ws() + members.joined(separator: ws() + "," + ws())
        if !members.isEmpty && rng.chance(0.05) { text += "," }
        text += ws() + "}" + ws()
        if rng.chance(0.02) { text = "\u{FEFF}" + text }
        if rng.chance(0.02) { text = pick(["[1,2]", "3", "null", "\"s\"", "{\"hash_ids\":[1]}x", "{\"hash_ids\":[1]}{}"], &rng) }
        return Array(text.utf8)
    }

    static let alphabet = Array("{}[],:\"\\ 0123456789-+.eEtrufalsn\t\r".utf8) + [0x00, 0x01, 0xFF, 0xEF]

    static func mutate(_ line: inout [UInt8], _ rng: inout SplitMix64) {
        for _ in 0...rng.below(3) {
            let position = line.isEmpty ? 0 : rng.below(line.count)
            switch rng.below(4) {
            case 0 where !line.isEmpty: line.remove(at: position)
            case 1: line.insert(alphabet[rng.below(alphabet.count)], at: position)
            case 2 where !line.isEmpty: line[position] = alphabet[rng.below(alphabet.count)]
            default: line.removeSubrange(position..<line.count)
            }
        }
    }
}
