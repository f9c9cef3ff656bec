// Which contiguous share of a region one participant pre-faults when every worker maps the
// same bytes (vLLM 0.33's `populate_shard=(index, count)`, its replicated layout).

extension SharedOffloadRegion {
    /// Participant `index` of `count` pre-faults bytes `[index * share, (index + 1) * share)`
    /// of the region (clipped), with `share = roundUp(ceil(size / count), pageSize)`, instead
    /// of its slots; with a barrier, a second barrier waits until every share is done.
    public struct PopulateShard: Hashable, Sendable {
        /// This participant's share, in `0..<count`.
        public let index: Int
        /// Participants sharing the work, at least 1.
        public let count: Int

        /// - Throws: `SharedOffloadRegionError.invalidGeometry` unless `0 <= index < count`.
        public init(index: Int, count: Int) throws {
            guard count >= 1, (0..<count).contains(index) else {
                throw SharedOffloadRegionError.invalidGeometry(
                    "populate shard \(index) of \(count): the count must be at least 1 and "
                        + "the index in 0..<count")
            }
            self.index = index
            self.count = count
        }

        /// The bytes this share pre-faults in a region of `size` bytes, or nil when the share
        /// starts past the end (more participants than pages).
        public func byteRange(regionSize size: Int, pageSize: Int) -> Range<Int>? {
            RegionPrefault.shardRange(size: size, page: pageSize, index: index, count: count)
        }
    }
}
