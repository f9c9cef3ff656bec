// One request of a Mooncake-format trace: its block keys in order plus optional metadata.

/// A request as a value. Only `hashIDs` drives the counters (docs/SEMANTICS.md); the other
/// fields are carried for statistics and for writing traces back out. Traces are read by
/// `MooncakeScanner` into a flat `MooncakeTrace`; this type is what a caller builds or reads
/// one request as.
public struct TraceRequest: Sendable, Equatable {
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
}
