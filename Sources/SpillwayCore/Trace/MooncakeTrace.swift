// A parsed Mooncake JSONL trace, stored flat: every request's block keys in one array.

/// A malformed trace line, named by its 1-based line number.
public struct TraceParseError: Error, CustomStringConvertible, Sendable, Equatable {
    public var lineNumber: Int
    public var message: String
    public var description: String {
        "trace line \(lineNumber): \(message) (fix the line, or pass --skip-bad-lines to count and skip it)"
    }

    public init(lineNumber: Int, message: String) {
        self.lineNumber = lineNumber
        self.message = message
    }
}

/// A parsed trace. Requests are stored flat (all `hash_ids` in one array, one end offset per
/// request, metadata in a parallel array), so loading a trace allocates per chunk of growth,
/// never per line, and a replay walks one contiguous array. `MooncakeScanner` fills it; the
/// file loader (`TraceFile` in SpillwaySystem) feeds the scanner.
public struct MooncakeTrace: Sendable, Equatable {
    /// Every request's block keys, request after request.
    public private(set) var hashIDs: [UInt64] = []
    /// `requestEnds[i]` is the end (exclusive) of request `i`'s keys in `hashIDs`.
    public private(set) var requestEnds: [Int] = []
    /// Per request: the optional fields.
    private var metadata: [TraceRequestMetadata] = []
    /// 1-based numbers of the lines skipped as malformed (only with `skipBadLines`).
    public var skippedLineNumbers: [Int]

    /// Number of requests.
    public var count: Int { requestEnds.count }
    /// Total number of block references over all requests.
    public var blockCount: Int { hashIDs.count }

    public init(requests: [TraceRequest] = [], skippedLineNumbers: [Int] = []) {
        self.skippedLineNumbers = skippedLineNumbers
        for request in requests { append(request) }
    }

    /// The range of request `index`'s keys in `hashIDs`.
    @inline(__always)
    public func hashIDRange(ofRequest index: Int) -> Range<Int> {
        (index == 0 ? 0 : requestEnds[index - 1])..<requestEnds[index]
    }

    /// Request `index` as a value (allocates its key array; the replay walks `hashIDs`).
    public subscript(request index: Int) -> TraceRequest {
        let fields = metadata[index]
        return TraceRequest(
            timestamp: fields.timestamp, inputLength: fields.inputLength,
            outputLength: fields.outputLength, hashIDs: Array(hashIDs[hashIDRange(ofRequest: index)]))
    }

    /// Every request as a value (for tests and writing traces out).
    public var requests: [TraceRequest] { (0..<count).map { self[request: $0] } }

    /// Appends a request.
    public mutating func append(_ request: TraceRequest) {
        hashIDs.append(contentsOf: request.hashIDs)
        commitRequest(
            TraceRequestMetadata(
                timestamp: request.timestamp, inputLength: request.inputLength,
                outputLength: request.outputLength))
    }

    /// The scanner's append: a parsed line's keys and fields.
    mutating func appendRequest(hashIDs ids: UnsafeBufferPointer<UInt64>, _ fields: TraceRequestMetadata) {
        hashIDs.append(contentsOf: ids)
        commitRequest(fields)
    }

    /// Makes room for `blocks` keys and `requests` requests (the loader's estimate from the
    /// file size), so the arrays do not regrow and copy while a trace loads.
    mutating func reserveCapacity(blocks: Int, requests: Int) {
        hashIDs.reserveCapacity(blocks)
        requestEnds.reserveCapacity(requests)
        metadata.reserveCapacity(requests)
    }

    mutating func commitRequest(_ fields: TraceRequestMetadata) {
        requestEnds.append(hashIDs.count)
        metadata.append(fields)
    }

    /// Parses JSONL bytes held in memory (the file loader streams instead). Blank lines are
    /// ignored. A line that is not a JSON object with a `hash_ids` array of non-negative
    /// integers is an error naming its line number, or, with `skipBadLines`, is recorded in
    /// `skippedLineNumbers` and skipped. What is accepted: `MooncakeScanner`.
    ///
    /// - Throws: `TraceParseError` for the first malformed line unless `skipBadLines`.
    public static func parse(_ bytes: [UInt8], skipBadLines: Bool = false) throws -> MooncakeTrace {
        var scanner = MooncakeScanner(skipBadLines: skipBadLines)
        var failure: TraceParseError?
        bytes.withUnsafeBytes { chunk in
            do throws(TraceParseError) { try scanner.consume(chunk) } catch { failure = error }
        }
        if let failure { throw failure }
        return try scanner.finish()
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

/// A request's optional fields, stored beside the flat keys.
struct TraceRequestMetadata: Sendable, Equatable {
    var timestamp: Double?
    var inputLength: Int?
    var outputLength: Int?
}
