// Generates Mooncake-format traces with realistic prefix sharing, deterministically per seed.
import Foundation

/// A synthetic request trace shaped like chat serving.
///
/// The model, per request:
/// - `systemPrompts` shared system prompts of 1...`systemPromptBlocksMax` blocks each.
/// - `sessions` multi-turn conversations. Each starts on a system prompt picked with Zipf
///   popularity (so a few prompts are shared by most sessions).
/// - A request picks a session with Zipf popularity (a few sessions are hot, most are cold),
///   adds 1...`turnBlocksMax` new prompt blocks, and sends the session's whole context:
///   `system prompt + earlier turns and answers + new blocks`. So each turn's prefix is the
///   previous turn's request plus its answer: prefixes grow turn by turn.
/// - The answer adds 0...`outputBlocksMax` blocks to the session's history. When the next
///   turn would exceed `maxContextBlocks`, the session starts a new conversation on a
///   freshly picked system prompt.
/// - Timestamps: Poisson arrivals with mean gap `meanInterarrivalMilliseconds`.
///
/// Block keys are allocated from 0 upward in first-use order. The output depends only on
/// the parameters: `SeededGenerator` and our own bounded sampling, never the system RNG.
public struct TraceGenerator: Sendable {
    /// Generator settings. Defaults are the main job's (see `Config/default.json`).
    public struct Parameters: Codable, Sendable, Equatable {
        public var requests = 2000
        public var seed: UInt64 = 1
        public var sessions = 150
        public var systemPrompts = 4
        public var systemPromptBlocksMax = 12
        public var turnBlocksMax = 6
        public var outputBlocksMax = 2
        public var maxContextBlocks = 64
        public var zipfExponent = 1.0
        public var blockTokens = 512
        public var meanInterarrivalMilliseconds = 20.0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case requests, seed, sessions
            case systemPrompts = "system_prompts"
            case systemPromptBlocksMax = "system_prompt_blocks"
            case turnBlocksMax = "turn_blocks"
            case outputBlocksMax = "output_blocks"
            case maxContextBlocks = "max_context_blocks"
            case zipfExponent = "zipf_exponent"
            case blockTokens = "block_tokens"
            case meanInterarrivalMilliseconds = "mean_interarrival_ms"
        }
    }

    private struct Session {
        var history: [UInt64] = []
    }

    public let parameters: Parameters
    private var random: SeededGenerator
    private let sessionPopularity: ZipfDistribution
    private let promptPopularity: ZipfDistribution
    /// Maps popularity rank to session index, so hot sessions are scattered over ids.
    private let sessionOfRank: [Int]
    private var prompts: [[UInt64]] = []
    private var sessions: [Session]
    private var nextKey: UInt64 = 0
    private var clockMilliseconds = 0.0
    private var produced = 0

    /// - Precondition: parameters in the ranges `ConfigurationKeys` documents
    ///   (`maxContextBlocks >= systemPromptBlocksMax + turnBlocksMax`).
    public init(parameters: Parameters) {
        precondition(
            parameters.requests >= 0 && parameters.sessions >= 1 && parameters.systemPrompts >= 1)
        precondition(parameters.systemPromptBlocksMax >= 1 && parameters.turnBlocksMax >= 1)
        precondition(parameters.outputBlocksMax >= 0 && parameters.blockTokens >= 1)
        precondition(
            parameters.maxContextBlocks >= parameters.systemPromptBlocksMax
                + parameters.turnBlocksMax,
            "max_context_blocks must fit a system prompt and one turn")
        self.parameters = parameters
        random = SeededGenerator(seed: parameters.seed)
        sessionPopularity = ZipfDistribution(
            count: parameters.sessions, exponent: parameters.zipfExponent)
        promptPopularity = ZipfDistribution(
            count: parameters.systemPrompts, exponent: parameters.zipfExponent)
        var order = Array(0..<parameters.sessions)
        for index in stride(from: order.count - 1, to: 0, by: -1) {
            let other = Int(random.next(below: UInt64(index + 1)))
            order.swapAt(index, other)
        }
        sessionOfRank = order
        sessions = Array(repeating: Session(), count: parameters.sessions)
        for _ in 0..<parameters.systemPrompts {
            let length = random.next(in: 1...parameters.systemPromptBlocksMax)
            prompts.append(freshKeys(length))
        }
    }

    /// The next request, or nil after `parameters.requests`.
    public mutating func next() -> TraceRequest? {
        guard produced < parameters.requests else { return nil }
        produced += 1
        let sessionIndex = sessionOfRank[sessionPopularity.sample(using: &random)]
        var history = sessions[sessionIndex].history
        let turnBlocks = random.next(in: 1...parameters.turnBlocksMax)
        if history.isEmpty || history.count + turnBlocks > parameters.maxContextBlocks {
            history = prompts[promptPopularity.sample(using: &random)]
        }
        let prompt = history + freshKeys(turnBlocks)
        let outputBlocks =
            parameters.outputBlocksMax == 0 ? 0 : random.next(in: 0...parameters.outputBlocksMax)
        sessions[sessionIndex].history = prompt + freshKeys(outputBlocks)
        let gap = -log(1 - random.nextUnitDouble()) * parameters.meanInterarrivalMilliseconds
        let timestamp = clockMilliseconds.rounded(.down)
        clockMilliseconds += gap
        return TraceRequest(
            timestamp: timestamp,
            inputLength: prompt.count * parameters.blockTokens,
            outputLength: max(1, outputBlocks * parameters.blockTokens),
            hashIDs: prompt)
    }

    /// Writes the whole trace as JSONL (one `MooncakeTrace.line(for:)` per line, `\n` ends).
    public static func jsonl(parameters: Parameters) -> String {
        var generator = TraceGenerator(parameters: parameters)
        var text = ""
        while let request = generator.next() {
            text += MooncakeTrace.line(for: request)
            text += "\n"
        }
        return text
    }

    /// All requests of the trace.
    public static func requests(parameters: Parameters) -> [TraceRequest] {
        var generator = TraceGenerator(parameters: parameters)
        var requests: [TraceRequest] = []
        requests.reserveCapacity(parameters.requests)
        while let request = generator.next() { requests.append(request) }
        return requests
    }

    /// The whole trace, stored flat as a loaded trace is.
    public static func trace(parameters: Parameters) -> MooncakeTrace {
        var generator = TraceGenerator(parameters: parameters)
        var trace = MooncakeTrace()
        while let request = generator.next() { trace.append(request) }
        return trace
    }

    private mutating func freshKeys(_ count: Int) -> [UInt64] {
        defer { nextKey += UInt64(count) }
        return (0..<UInt64(count)).map { nextKey + $0 }
    }
}
