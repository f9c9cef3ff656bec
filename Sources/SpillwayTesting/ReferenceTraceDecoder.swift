// The trace reader Spillway used before MooncakeScanner (Foundation's JSONDecoder per line),
// kept only as the reference that the scanner's differential test and fuzz target compare with.
import Foundation
import SpillwayCore

/// Decodes Mooncake JSONL exactly as `MooncakeTrace.parse` did with `JSONDecoder`: lines
/// split at `\n`, blank lines (spaces, tabs, CRs) ignored, each other line decoded as a
/// `ReferenceTraceLine`. Slow (a `Data` and a decoder pass per line); never used by the tool.
package enum ReferenceTraceDecoder {
    /// The requests, the skipped line numbers (with `skipBadLines`), or the first bad line.
    package static func parse(_ bytes: [UInt8], skipBadLines: Bool = false) throws -> MooncakeTrace {
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

    /// One line, or the `TraceParseError` the old reader threw for it.
    package static func decodeLine(
        _ line: ArraySlice<UInt8>, decoder: JSONDecoder = JSONDecoder(), lineNumber: Int
    ) throws -> TraceRequest {
        do {
            return try decoder.decode(ReferenceTraceLine.self, from: Data(line)).request
        } catch DecodingError.keyNotFound(let key, _) {
            throw TraceParseError(lineNumber: lineNumber, message: "missing field '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TraceParseError(
                lineNumber: lineNumber,
                message: path.isEmpty ? "not a JSON object" : "field '\(path)' has the wrong type")
        } catch DecodingError.dataCorrupted(let context)
            where context.debugDescription.hasSuffix(ReferenceTraceLine.badHashIDMessage)
        {
            throw TraceParseError(lineNumber: lineNumber, message: context.debugDescription)
        } catch {
            throw TraceParseError(lineNumber: lineNumber, message: "not valid JSON")
        }
    }
}

/// The old `TraceRequest: Decodable` conformance.
struct ReferenceTraceLine: Decodable {
    var request: TraceRequest

    enum CodingKeys: String, CodingKey {
        case timestamp
        case inputLength = "input_length"
        case outputLength = "output_length"
        case hashIDs = "hash_ids"
    }

    static let badHashIDMessage = "is not a non-negative integer"

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let timestamp = try container.decodeIfPresent(Double.self, forKey: .timestamp)
        let inputLength = try container.decodeIfPresent(Int.self, forKey: .inputLength)
        let outputLength = try container.decodeIfPresent(Int.self, forKey: .outputLength)
        var ids = try container.nestedUnkeyedContainer(forKey: .hashIDs)
        var hashIDs: [UInt64] = []
        if let count = ids.count { hashIDs.reserveCapacity(count) }
        while !ids.isAtEnd {
            let index = ids.currentIndex
            guard let id = try? ids.decode(UInt64.self) else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: [CodingKeys.hashIDs],
                        debugDescription: "hash_ids[\(index)] \(Self.badHashIDMessage)"))
            }
            hashIDs.append(id)
        }
        request = TraceRequest(
            timestamp: timestamp, inputLength: inputLength, outputLength: outputLength, hashIDs: hashIDs)
    }
}
