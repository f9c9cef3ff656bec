// One request of a Mooncake-format trace: its block keys in order plus optional metadata.

/// A request as the replay sees it. Only `hashIDs` drives the counters (docs/SEMANTICS.md); the
/// other fields are carried for statistics and for writing traces back out.
public struct TraceRequest: Sendable, Equatable, Codable {
    /// Arrival time in milliseconds, when the trace has it.
    public var timestamp: Double?
    public var inputLength: Int?
    public var outputLength: Int?
    /// The request's block keys, in prompt order.
    public var hashIDs: [UInt64]

    public init(
        timestamp: Double? = nil, inputLength: Int? = nil, outputLength: Int? = nil,
        hashIDs: [UInt64]
    ) {
        self.timestamp = timestamp
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.hashIDs = hashIDs
    }

    enum CodingKeys: String, CodingKey {
        case timestamp
        case inputLength = "input_length"
        case outputLength = "output_length"
        case hashIDs = "hash_ids"
    }

    /// The trace line's message for a `hash_ids` element that is not a non-negative integer.
    static let badHashIDMessage = "is not a non-negative integer"

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try container.decodeIfPresent(Double.self, forKey: .timestamp)
        inputLength = try container.decodeIfPresent(Int.self, forKey: .inputLength)
        outputLength = try container.decodeIfPresent(Int.self, forKey: .outputLength)
        var ids = try container.nestedUnkeyedContainer(forKey: .hashIDs)
        var hashIDs: [UInt64] = []
        if let count = ids.count { hashIDs.reserveCapacity(count) }
        while !ids.isAtEnd {
            let index = ids.currentIndex
            guard let id = try? ids.decode(UInt64.self) else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: [CodingKeys.hashIDs],
                        debugDescription: "hash_ids[\(index)] \(TraceRequest.badHashIDMessage)"))
            }
            hashIDs.append(id)
        }
        self.hashIDs = hashIDs
    }
}
