// Running totals of a PrimaryTierManager, for metrics.

/// Counters of a `PrimaryTierManager` since creation.
public struct ManagerStats: Sendable, Equatable {
    /// `lookup` calls and the keys they reported stored (count summed).
    public var lookups = 0
    public var lookupHitBlocks = 0
    /// `lookup` calls answered `.retry`.
    public var lookupRetries = 0
    /// Blocks given rows by `prepareStore`, and `prepareStore` calls answered nil.
    public var storePreparedBlocks = 0
    public var storeRejected = 0
    /// Blocks made readable / freed by `completeStore`.
    public var storedBlocks = 0
    public var storeFailedBlocks = 0
    /// Blocks pinned by `prepareLoad`.
    public var loadedBlocks = 0
    public var primaryEvictions = 0
    public var diskWrites = 0
    public var diskWriteFailures = 0
    public var diskEvictions = 0
    /// Promotions started, completed, failed (a failed read drops the block), and
    /// `preparePromotion` calls answered nil.
    public var promotionsStarted = 0
    public var promotionsCompleted = 0
    public var promotionsFailed = 0
    public var promotionRejected = 0

    public init() {}
}
