// Fuzzes the Mooncake trace parser: arbitrary bytes must parse or throw TraceParseError.
import SpillwayCore

/// Parses the input as `spillway replay --trace` does, strict and with bad lines skipped.
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
            precondition(lenient.requests == strict.requests && lenient.skippedLineNumbers.isEmpty)
        }
        // What was parsed is something replay can use: the statistics replay prints.
        _ = TraceStatistics(requests: lenient.requests)
        // Every parsed request writes back to a line that parses to the same request.
        for request in lenient.requests.prefix(8) {
            let line = Array(MooncakeTrace.line(for: request).utf8)
            guard let again = try? MooncakeTrace.parse(line) else {
                fatalError("the line written for a parsed request does not parse")
            }
            precondition(again.requests == [request], "line round trip changed the request")
        }
    }
}
