// A store workload for disk-tier tests: rows of deterministic payloads stored through the
// async job API with a bounded number in flight, over any backend.
import SpillwayCore

/// Stores rows `0..<count` (key = trace id of the row, payload of `kind(row)`).
package enum DiskStoreWorkload {
    /// Submits every row with up to `depth` stores in flight, waiting as needed, and
    /// returns every completion. With `keepRows` each row keeps its own buffer until the
    /// end (what `DiskTierOptions.zeroCopy` requires); otherwise one buffer is reused and
    /// scribbled over right after each submit, since the tier promised it is free then.
    /// `step` runs after every submit and every wait (e.g. `checkInvariants`).
    package static func storeAll<IO: IOBackend>(
        _ tier: DiskTier<IO>, count: Int, length: Int, depth: Int, keepRows: Bool = false,
        kind: (Int) -> PayloadKind, step: () -> Void = {}
    ) throws -> [DiskCompletion] {
        let rows = (0..<(keepRows ? count : 1)).map { _ in
            IOTestBuffer(byteCount: max(length, 1))
        }
        var completions: [DiskCompletion] = []
        var next = 0
        while completions.count < count {
            while next < count, next - completions.count < depth {
                let key = BlockKey(traceID: UInt64(next))
                let row = rows[keepRows ? next : 0]
                let bytes = UnsafeMutableRawBufferPointer(start: row.pointer, count: length)
                PayloadGenerator.fill(bytes, key: key, kind: kind(next))
                guard
                    tier.submitStore(key: key, bytes: UnsafeRawBufferPointer(bytes), token: UInt64(next))
                else { break }
                if !keepRows { bytes.initializeMemory(as: UInt8.self, repeating: 0xA5) }
                next += 1
                step()
            }
            try tier.wait(into: &completions, minimum: 1)
            step()
        }
        return completions
    }
}
