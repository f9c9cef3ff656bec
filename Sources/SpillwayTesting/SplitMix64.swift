// Seeds for randomized tests, so every one replays from its printed seed.
import SpillwayCore

extension SplitMix64 {
    /// A seed from SPILLWAY_SEED when set, else `fallback`.
    package static func seed(fallback: UInt64) -> UInt64 {
        if let text = ProcessInfoShim.environment("SPILLWAY_SEED"), let value = UInt64(text) { return value }
        return fallback
    }
}
