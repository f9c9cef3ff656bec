// Reads and writes Mooncake JSONL traces: one JSON object per line with `hash_ids`.
import Foundation

/// A malformed trace line, named by its 1-based line number.
public struct TraceParseError: Error, CustomStringConvertible, Sendable, Equatable {
    public var lineNumber: Int
    public var message: String
    public var description: String {
        "trace line \(lineNumber): \(message) (fix the line, or pass --skip-bad-lines to count and skip it)"
    }
}

/// A parsed trace.
public struct MooncakeTrace: Sendable {
    public var requests: [TraceRequest]
    /// 1-based numbers of the lines skipped as malformed (only with `skipBadLines`).
    public var skippedLineNumbers: [Int]

    /// Total number of block references over all requests.
    public var blockCount: Int { requests.reduce(0) { $0 + $1.hashIDs.count } }

    public init(requests: [TraceRequest], skippedLineNumbers: [Int] = []) {
        self.requests = requests
        self.skippedLineNumbers = skippedLineNumbers
    }

    /// Parses JSONL bytes. Blank lines are ignored. A line that is not a JSON object with a
    /// `hash_ids` array of non-negative integers is an error naming its line number, or, with
    /// `skipBadLines`, is recorded in `skippedLineNumbers` and skipped.
    ///
    /// - Throws: `TraceParseError` for the first malformed line unless `skipBadLines`.
    public static func parse(_ bytes: [UInt8], skipBadLines: Bool = false) throws -> MooncakeTrace {
        let decoder = JSONDecoder()
        var requests: [TraceRequest] = []
        var skipped: [Int] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            let line = bytes[start..<end]
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                requests.append(try decodeLine(line, decoder: decoder, lineNumber: lineNumber))
            } catch let error as TraceParseError {
                if skipBadLines { skipped.append(lineNumber) } else { throw error }
            }
        }
        return MooncakeTrace(requests: requests, skippedLineNumbers: skipped)
    }

    private static func decodeLine(
        _ line: ArraySlice<UInt8>, decoder: JSONDecoder, lineNumber: Int
    ) throws -> TraceRequest {
        do {
            return try decoder.decode(TraceRequest.self, from: Data(line))
        } catch DecodingError.keyNotFound(let key, _) {
            throw TraceParseError(lineNumber: lineNumber, message: "missing field '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TraceParseError(
                lineNumber: lineNumber,
                message: path.isEmpty ? "not a JSON object" : "field '\(path)' has the wrong type")
        } catch DecodingError.dataCorrupted(let context)
            where context.debugDescription.hasSuffix(TraceRequest.badHashIDMessage)
        {
            throw TraceParseError(lineNumber: lineNumber, message: context.debugDescription)
        } catch {
            throw TraceParseError(lineNumber: lineNumber, message: "not valid JSON")
        }
    }

    /// One JSONL line (without newline) for `request`, keys in Mooncake's order.
    public static func line(for request: TraceRequest) -> String {
        var fields: [String] = []
        if let t = request.timestamp {
            fields.append("\"timestamp\": \(t == t.rounded() && abs(t) < 1e15 ? String(Int64(t)) : String(t))")
        }
        if let n = request.inputLength { fields.append("\"input_length\": \(n)") }
        if let n = request.outputLength { fields.append("\"output_length\": \(n)") }
        fields.append("\"hash_ids\": [" + request.hashIDs.map(String.init).joined(separator: ", ") + "]")
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
