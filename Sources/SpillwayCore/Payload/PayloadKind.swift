// The kinds of deterministic block content used by tests, replays and `disk verify --pattern`.

/// What a generated payload looks like.
public enum PayloadKind: Equatable, Sendable, CustomStringConvertible {
    /// Uniform random bytes: incompressible.
    case random
    /// bf16 values of a standard normal distribution: the realistic KV-cache case (plain LZ4
    /// gains almost nothing, byte-shuffled LZ4 gains on the exponent bytes).
    case bf16
    /// All zero bytes: maximally compressible.
    case zeros
    /// Random bytes with a `compressibleFraction` (0...1) of 256-byte segments replaced by
    /// zero runs, chosen by the same seeded stream.
    case mixed(compressibleFraction: Double)

    /// Parses `random`, `bf16`, `zeros`, `mixed` (fraction 0.5) or `mixed:F` with F in 0...1.
    public init?(parsing text: String) {
        switch text {
        case "random": self = .random
        case "bf16": self = .bf16
        case "zeros": self = .zeros
        case "mixed": self = .mixed(compressibleFraction: 0.5)
        default:
            guard text.hasPrefix("mixed:"), let fraction = Double(text.dropFirst(6)),
                fraction >= 0, fraction <= 1
            else { return nil }
            self = .mixed(compressibleFraction: fraction)
        }
    }

    public var description: String {
        switch self {
        case .random: return "random"
        case .bf16: return "bf16"
        case .zeros: return "zeros"
        case .mixed(let fraction): return fraction == 0.5 ? "mixed" : "mixed:\(fraction)"
        }
    }

    /// A tag mixed into the seed so two kinds never share a stream.
    @usableFromInline
    var seedTag: UInt64 {
        switch self {
        case .random: return 0x5241_4E44
        case .bf16: return 0x4246_3136
        case .zeros: return 0x5A45_524F
        case .mixed(let fraction): return 0x4D49_5845 ^ (fraction.bitPattern &* 31)
        }
    }
}
