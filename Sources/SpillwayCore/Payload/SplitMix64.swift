// SplitMix64: the small, fast, seedable PRNG behind deterministic payloads and simulations.

/// A 64-bit SplitMix generator (Steele, Lea, Flood 2014). Every seed gives a distinct,
/// reproducible stream; one step is three multiplies and shifts, so filling a buffer eight
/// bytes at a time runs at several GB/s.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    package var state: UInt64

    /// A generator whose stream is a pure function of `seed`.
    @inlinable
    package init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    @inlinable
    package mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// True with probability `probability` (0 never, 1 always).
    @inlinable
    package mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && nextUnit() < probability
    }

    /// A uniform integer in `0..<bound` (`bound` > 0).
    @inlinable
    package mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(_:) needs a positive bound")
        return Int(next() % UInt64(bound))
    }
}
