// ReplayCounters as one JSON object in the expected file's key order, hit_rate with 6 decimals.

extension ReplayCounters {
    /// The counters as a single-line JSON object, keys in the order of
    /// `mooncake-synthetic.expected.json`, `hit_rate` printed with exactly 6 decimals, then
    /// the failure counters when nonzero, then `extraFields` (name, already-encoded JSON value)
    /// in order (data mode adds `bytes_written`, `bytes_read`, `verify_failures`,
    /// `elapsed_seconds`).
    public func jsonObjectText(extraFields: [(String, String)] = []) -> String {
        var fields: [(String, String)] = [
            ("requests", "\(requests)"), ("blocks", "\(blocks)"),
            ("hit_primary", "\(hitPrimary)"), ("hit_disk", "\(hitDisk)"), ("miss", "\(miss)"),
            ("stored", "\(stored)"), ("store_skipped", "\(storeSkipped)"),
            ("disk_writes", "\(diskWrites)"), ("disk_reads", "\(diskReads)"),
            ("primary_evictions", "\(primaryEvictions)"), ("disk_evictions", "\(diskEvictions)"),
            ("promote_failed", "\(promoteFailed)"), ("resident_primary", "\(residentPrimary)"),
            ("resident_disk", "\(residentDisk)"), ("hit_rate", Self.sixDecimals(hitRate)),
            ("primary_blocks", "\(primaryBlocks)"), ("disk_blocks", "\(diskBlocks)"),
            ("policy", "\"\(policy.rawValue)\""),
        ]
        if diskReadFailures != 0 { fields.append(("disk_read_failures", "\(diskReadFailures)")) }
        if diskWriteFailures != 0 { fields.append(("disk_write_failures", "\(diskWriteFailures)")) }
        fields += extraFields
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// `value` (>= 0) with exactly six decimals, e.g. 0.083437 -> "0.083437", 1 -> "1.000000".
    static func sixDecimals(_ value: Double) -> String {
        let micros = Int((value * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
