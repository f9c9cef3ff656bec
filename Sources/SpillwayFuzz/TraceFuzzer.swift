// Fuzzes the Mooncake trace scanner: arbitrary bytes must parse or throw TraceParseError,
// exactly as the JSONDecoder reader it replaced did, in one chunk or two.
import SpillwayTesting
import SpillwayCore

/// Parses the input as `spillway replay --trace` does (MooncakeScanner), strict and with bad
/// lines skipped, and checks it against `ReferenceTraceDecoder`.
enum TraceFuzzer {
    static func run(_ bytes: [UInt8]) {
        let strict: MooncakeTrace?
        do { strict = try MooncakeTrace.parse(bytes) } catch is TraceParseError {
            strict = nil
        } catch {
            fatalError("trace parser threw a non-TraceParseError: \(error)")
        }
        // Skipping bad lines never throws, and keeps every request a strict parse keeps.
        guard let lenient = try? MooncakeTrace.parse(bytes, skipBadLines: true) else {
            fatalError("parse(skipBadLines: true) threw")
        }
        if let strict {
            precondition(lenient == strict && lenient.skippedLineNumbers.isEmpty)
        }
        // The same bytes in two chunks cut at an input-chosen point: the same trace.
        var scanner = MooncakeScanner(skipBadLines: true)
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        do {
            try bytes[..<cut].withUnsafeBytes { try scanner.consume($0) }
            try bytes[cut...].withUnsafeBytes { try scanner.consume($0) }
            let finished = try scanner.finish()
            precondition(finished == lenient, "two chunks parsed differently from one")
        } catch {
            fatalError("a lenient scanner threw \(error)")
        }
        // Exactly what the JSONDecoder reader accepted, with the same line numbers.
        for skipBadLines in [false, true] {
            if let difference = TraceReaderComparison.difference(bytes, skipBadLines: skipBadLines) {
                fatalError("scanner and JSONDecoder reference differ (skipBadLines \(skipBadLines)): \(difference)")
            }
        }
        // What was parsed is something replay can use: the statistics replay prints.
        _ = TraceStatistics(trace: lenient)
        // Every parsed request writes back to a line that parses to the same request.
        for index in 0..<min(8, lenient.count) {
            let request = lenient[request: index]
            let line = Array(MooncakeTrace.line(for: request).utf8)
            guard let again = try? MooncakeTrace.parse(line) else {
                fatalError("the line written for a parsed request does not parse")
            }
            precondition(again.requests == [request], "line round trip changed the request")
        }
    }
}
