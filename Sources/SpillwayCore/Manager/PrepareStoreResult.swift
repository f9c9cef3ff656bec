// What prepareStore / preparePromotion hand back: the keys to write, their rows, and the
// keys evicted to make room (vLLM's PrepareStoreOutput).

/// Output of `PrimaryTierManager.prepareStore(_:)`, mirroring vLLM's `PrepareStoreOutput`:
/// `keysToStore[i]` is to be written into primary row `rows[i]`; `evicted` were removed from
/// primary (least recent first) to make room.
public struct PrepareStoreResult: Sendable, Equatable {
    public var keysToStore: [BlockKey]
    public var rows: [Int32]
    public var evicted: [BlockKey]

    public init(keysToStore: [BlockKey], rows: [Int32], evicted: [BlockKey]) {
        self.keysToStore = keysToStore
        self.rows = rows
        self.evicted = evicted
    }
}

/// Output of `PrimaryTierManager.preparePromotion(_:)`: `keys[i]` is read from disk record
/// `records[i]` into primary row `rows[i]`; `evicted` were removed from primary.
public struct PreparePromotionResult: Sendable, Equatable {
    public var keys: [BlockKey]
    public var rows: [Int32]
    public var records: [Int32]
    public var evicted: [BlockKey]

    public init(keys: [BlockKey], rows: [Int32], records: [Int32], evicted: [BlockKey]) {
        self.keys = keys
        self.rows = rows
        self.records = records
        self.evicted = evicted
    }
}
