// A tiny seeded random generator so every randomized test replays from its printed seed.

/// SplitMix64 (Steele, Lea, Flood 2014): fast, seedable, good enough for test schedules.
public struct SplitMix64: RandomNumberGenerator {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed from SPILLWAY_SEED when set, else `fallback`.
    public static func seed(fallback: UInt64) -> UInt64 {
        if let text = ProcessInfoShim.environment("SPILLWAY_SEED"), let value = UInt64(text) { return value }
        return fallback
    }
}
