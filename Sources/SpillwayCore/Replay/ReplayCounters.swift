// The result of a trace replay, encoded with the JSON keys of
// Tests/Fixtures/traces/mooncake-synthetic.expected.json.

/// Counters of one replay plus its configuration. JSON keys are exactly those of the
/// expected-counters file; `disk_read_failures` / `disk_write_failures` are added only when
/// nonzero (never in simulation), so a clean run's object has exactly the expected keys.
/// `hit_rate` is rounded to 6 decimals.
public struct ReplayCounters: Sendable, Equatable, Codable {
    public var requests: Int
    public var blocks: Int
    public var hitPrimary: Int
    public var hitDisk: Int
    public var miss: Int
    public var stored: Int
    public var storeSkipped: Int
    public var diskWrites: Int
    public var diskReads: Int
    public var primaryEvictions: Int
    public var diskEvictions: Int
    public var promoteFailed: Int
    public var residentPrimary: Int
    public var residentDisk: Int
    public var hitRate: Double
    public var primaryBlocks: Int
    public var diskBlocks: Int
    public var policy: TieringPolicy
    public var diskReadFailures: Int = 0
    public var diskWriteFailures: Int = 0

    enum CodingKeys: String, CodingKey {
        case requests, blocks, miss, stored, policy
        case hitPrimary = "hit_primary"
        case hitDisk = "hit_disk"
        case storeSkipped = "store_skipped"
        case diskWrites = "disk_writes"
        case diskReads = "disk_reads"
        case primaryEvictions = "primary_evictions"
        case diskEvictions = "disk_evictions"
        case promoteFailed = "promote_failed"
        case residentPrimary = "resident_primary"
        case residentDisk = "resident_disk"
        case hitRate = "hit_rate"
        case primaryBlocks = "primary_blocks"
        case diskBlocks = "disk_blocks"
        case diskReadFailures = "disk_read_failures"
        case diskWriteFailures = "disk_write_failures"
    }

    /// Counters from an engine's state and configuration.
    package init(
        counters c: TieringCounters, residentPrimary: Int, residentDisk: Int,
        primaryBlocks: Int, diskBlocks: Int, policy: TieringPolicy
    ) {
        requests = c.requests
        blocks = c.blocks
        hitPrimary = c.hitPrimary
        hitDisk = c.hitDisk
        miss = c.miss
        stored = c.stored
        storeSkipped = c.storeSkipped
        diskWrites = c.diskWrites
        diskReads = c.diskReads
        primaryEvictions = c.primaryEvictions
        diskEvictions = c.diskEvictions
        promoteFailed = c.promoteFailed
        self.residentPrimary = residentPrimary
        self.residentDisk = residentDisk
        hitRate = Self.round6(c.hitRate)
        self.primaryBlocks = primaryBlocks
        self.diskBlocks = diskBlocks
        self.policy = policy
        diskReadFailures = c.diskReadFailures
        diskWriteFailures = c.diskWriteFailures
    }

    /// `value` rounded to 6 decimals (half away from zero; ratios of block counts are never
    /// exact binary ties, so this agrees with Python's `round(x, 6)`).
    static func round6(_ value: Double) -> Double { (value * 1_000_000).rounded() / 1_000_000 }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requests = try c.decode(Int.self, forKey: .requests)
        blocks = try c.decode(Int.self, forKey: .blocks)
        hitPrimary = try c.decode(Int.self, forKey: .hitPrimary)
        hitDisk = try c.decode(Int.self, forKey: .hitDisk)
        miss = try c.decode(Int.self, forKey: .miss)
        stored = try c.decode(Int.self, forKey: .stored)
        storeSkipped = try c.decode(Int.self, forKey: .storeSkipped)
        diskWrites = try c.decode(Int.self, forKey: .diskWrites)
        diskReads = try c.decode(Int.self, forKey: .diskReads)
        primaryEvictions = try c.decode(Int.self, forKey: .primaryEvictions)
        diskEvictions = try c.decode(Int.self, forKey: .diskEvictions)
        promoteFailed = try c.decode(Int.self, forKey: .promoteFailed)
        residentPrimary = try c.decode(Int.self, forKey: .residentPrimary)
        residentDisk = try c.decode(Int.self, forKey: .residentDisk)
        hitRate = try c.decode(Double.self, forKey: .hitRate)
        primaryBlocks = try c.decode(Int.self, forKey: .primaryBlocks)
        diskBlocks = try c.decode(Int.self, forKey: .diskBlocks)
        policy = try c.decode(TieringPolicy.self, forKey: .policy)
        diskReadFailures = try c.decodeIfPresent(Int.self, forKey: .diskReadFailures) ?? 0
        diskWriteFailures = try c.decodeIfPresent(Int.self, forKey: .diskWriteFailures) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(requests, forKey: .requests)
        try c.encode(blocks, forKey: .blocks)
        try c.encode(hitPrimary, forKey: .hitPrimary)
        try c.encode(hitDisk, forKey: .hitDisk)
        try c.encode(miss, forKey: .miss)
        try c.encode(stored, forKey: .stored)
        try c.encode(storeSkipped, forKey: .storeSkipped)
        try c.encode(diskWrites, forKey: .diskWrites)
        try c.encode(diskReads, forKey: .diskReads)
        try c.encode(primaryEvictions, forKey: .primaryEvictions)
        try c.encode(diskEvictions, forKey: .diskEvictions)
        try c.encode(promoteFailed, forKey: .promoteFailed)
        try c.encode(residentPrimary, forKey: .residentPrimary)
        try c.encode(residentDisk, forKey: .residentDisk)
        try c.encode(hitRate, forKey: .hitRate)
        try c.encode(primaryBlocks, forKey: .primaryBlocks)
        try c.encode(diskBlocks, forKey: .diskBlocks)
        try c.encode(policy, forKey: .policy)
        if diskReadFailures != 0 { try c.encode(diskReadFailures, forKey: .diskReadFailures) }
        if diskWriteFailures != 0 { try c.encode(diskWriteFailures, forKey: .diskWriteFailures) }
    }
}
