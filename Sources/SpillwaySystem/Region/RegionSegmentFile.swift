// One segment file (`vllm_offload_<id>.mmap.<i>`) of a region, as `spillway region list` sees it.

/// A region's segment file beyond the first: its size and the processes mapping it.
public struct RegionSegmentFile: Codable, Sendable, Equatable {
    /// `i` in `<region>.<i>`, at least 1.
    public var index: Int
    public var path: String
    public var sizeBytes: Int
    /// PIDs of live processes mapping this file.
    public var mappingPIDs: [Int32]
    /// Why the entry is odd (a symlink, not a regular file); nil when fine.
    public var problem: String?
}
