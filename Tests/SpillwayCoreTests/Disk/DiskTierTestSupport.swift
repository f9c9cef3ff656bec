// Helpers for disk-tier tests: a tier over SimulatedIO, payload buffers, block checks.
import SpillwayCore
import SpillwayTesting

/// An aligned byte buffer owned by a test.
final class TestBuffer {
    let pointer: UnsafeMutableRawBufferPointer
    init(count: Int) {
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 4096)
        pointer.initializeMemory(as: UInt8.self, repeating: 0xEE)
    }
    deinit { pointer.deallocate() }
    func prefix(_ count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: pointer[0..<count])
    }
}

enum DiskTestSupport {
    static func options(
        capacity: Int, blockMax: Int = 64 << 10, codec: DiskCodec = .none, jobs: Int = 16
    ) -> DiskTierOptions {
        DiskTierOptions(
            capacityBytes: capacity, blockByteCountMax: blockMax, codec: codec, jobCountMax: jobs)
    }

    /// Stores the deterministic payload of `key` (`length` bytes, `kind`) and returns the outcome.
    static func store<IO>(
        _ tier: DiskTier<IO>, _ key: BlockKey, length: Int, kind: PayloadKind = .random
    ) throws -> DiskStoreOutcome {
        let buffer = TestBuffer(count: length)
        PayloadGenerator.fill(buffer.prefix(length), key: key, kind: kind)
        return try tier.store(key: key, bytes: UnsafeRawBufferPointer(buffer.prefix(length)))
    }

    /// Loads `key` and says whether it came back as exactly the payload of (key, length, kind).
    static func loadMatches<IO>(
        _ tier: DiskTier<IO>, _ key: BlockKey, length: Int, kind: PayloadKind = .random
    ) throws -> (DiskLoadOutcome, Bool) {
        let buffer = TestBuffer(count: tier.blockByteCountMax)
        let outcome = try tier.load(key: key, into: buffer.pointer)
        guard case .loaded(let count) = outcome else { return (outcome, false) }
        return (
            outcome,
            count == length
                && PayloadGenerator.matches(
                    UnsafeRawBufferPointer(buffer.prefix(count)), key: key, kind: kind)
        )
    }
}
