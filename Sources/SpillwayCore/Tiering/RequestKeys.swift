// The keys of one request as the tiering engine reads them: integer trace ids straight from
// a trace's flat id array, or block keys copied into the engine's scratch.

/// Read access to the keys of the request being processed, by position. `TieringEngine`
/// runs one algorithm over either form, specialized for each, so a replay of trace ids
/// never builds or compares 72-byte `BlockKey`s: it compares 8-byte ids with the heads the
/// directory keeps in its nodes.
protocol RequestKeys {
    /// The key at position `j`.
    func key(_ j: Int) -> BlockKey
    /// Whether the block in `slot` has the key at position `j`.
    func matches(_ directory: BlockDirectory, _ slot: BlockDirectory.Slot, _ j: Int) -> Bool
    /// Whether positions `i` and `j` hold equal keys.
    func same(_ i: Int, _ j: Int) -> Bool
}

/// Integer trace ids (`BlockKey(traceID:)`: 8 bytes, the big-endian id as the head).
struct TraceIDRequestKeys: RequestKeys {
    let ids: UnsafeBufferPointer<UInt64>

    @inline(__always)
    func key(_ j: Int) -> BlockKey { BlockKey(traceID: ids[j]) }

    @inline(__always)
    func matches(_ directory: BlockDirectory, _ slot: BlockDirectory.Slot, _ j: Int) -> Bool {
        directory.keyMatches(slot, head: ids[j].bigEndian, length: 8)
    }

    @inline(__always)
    func same(_ i: Int, _ j: Int) -> Bool { ids[i] == ids[j] }
}

/// Block keys of any length, in the engine's scratch.
struct BlockKeyRequestKeys: RequestKeys {
    let keys: UnsafePointer<BlockKey>

    @inline(__always)
    func key(_ j: Int) -> BlockKey { keys[j] }

    @inline(__always)
    func matches(_ directory: BlockDirectory, _ slot: BlockDirectory.Slot, _ j: Int) -> Bool {
        directory.keyMatches(slot, keys[j])
    }

    @inline(__always)
    func same(_ i: Int, _ j: Int) -> Bool { keys[i] == keys[j] }
}
