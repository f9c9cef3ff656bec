// Whole-configuration checks: every key's range plus the rules that relate keys.

extension SpillwayConfiguration {
    /// The OS page size the page-aligned layout rounds rows up to.
    public static let regionPageSize: UInt64 = 4096

    /// Bytes of one row: `P * M` (seed) or that rounded up to 4 KiB (page-aligned).
    public var rowStride: UInt64 {
        let packed = region.cpuPageSize * UInt64(region.numWorkers)
        switch region.layout {
        case .seed: return packed
        case .pageAligned:
            let page = Self.regionPageSize
            return (packed + page - 1) / page * page
        }
    }

    /// Rows of the shared region: `tiers.primary_bytes / rowStride`, rounded down.
    public var primaryBlockCount: Int { Int(tiers.primaryBytes / rowStride) }

    /// Rows the disk tier holds uncompressed: `tiers.disk_bytes / rowStride`.
    public var diskBlockCount: Int { Int(tiers.diskBytes / rowStride) }

    static func sizeText(_ bytes: UInt64) -> String { "\(bytes) (\(ByteSize.format(bytes)))" }

    /// Checks every key's range and the rules relating keys.
    ///
    /// - Parameter sources: where each key's value came from, to name it in the error.
    /// - Throws: `ConfigurationError` for the first bad value, in `ConfigurationKeys.all` order.
    public func validate(sources: [String: ConfigValueSource] = [:]) throws(ConfigurationError) {
        for key in ConfigurationKeys.all {
            do {
                try key.check(self)
            } catch {
                var error = error
                error.source = sources[key.name]
                throw error
            }
        }
        let stride = rowStride
        let strideText =
            "\(stride) bytes = region.num_workers x region.cpu_page_size"
            + (region.layout == .pageAligned ? ", rounded up to 4 KiB" : "")
        if tiers.primaryBytes < stride {
            throw ConfigurationError(
                key: "tiers.primary_bytes", value: Self.sizeText(tiers.primaryBytes),
                allowed: "at least one row (\(strideText))", source: sources["tiers.primary_bytes"],
                reason: "smaller than one row")
        }
        if tiers.diskBytes != 0 && tiers.diskBytes < stride {
            throw ConfigurationError(
                key: "tiers.disk_bytes", value: Self.sizeText(tiers.diskBytes),
                allowed: "0 (no disk tier) or at least one row (\(strideText))",
                source: sources["tiers.disk_bytes"], reason: "smaller than one row")
        }
        if policy == .writeThrough && tiers.diskBytes == 0 {
            throw ConfigurationError(
                key: "policy", value: policy.rawValue,
                allowed: "spill when tiers.disk_bytes is 0", source: sources["policy"],
                reason: "write-through needs a disk tier (set tiers.disk_bytes)")
        }
        let generator = trace.generator
        let smallest = generator.systemPromptBlocksMax + generator.turnBlocksMax
        if generator.maxContextBlocks < smallest {
            throw ConfigurationError(
                key: "trace.max_context_blocks", value: String(generator.maxContextBlocks),
                allowed: "at least trace.system_prompt_blocks + trace.turn_blocks = \(smallest)",
                source: sources["trace.max_context_blocks"],
                reason: "a first turn could not fit")
        }
    }
}
