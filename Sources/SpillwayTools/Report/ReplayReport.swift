// The report of one replay: the replay counters, what the disk tier added over a
// primary-only run of the same primary capacity, and data-mode figures when present;
// rendered as a readable table or as one JSON object with a stable set of keys.
import Spillway
import SpillwayCore
import SpillwaySystem
import Foundation

/// One replay's report.
///
/// JSON (`JSONText.encode(report)`, keys sorted); a key group appears only when its data
/// exists, so a plain simulated replay prints exactly the expected-counters keys:
/// - always: `ReplayReport.counterKeys` (the keys of `mooncake-synthetic.expected.json`,
///   via `ReplayCounters`' Codable), then `disk_read_failures` / `disk_write_failures`
///   when nonzero;
/// - with `skippedLines`: `skipped_lines` (count);
/// - with `primaryOnly`: `ReplayReport.baselineKeys` — `primary_only_hit_rate` (hit rate of
///   the same trace and primary capacity with disk 0) and `disk_added_hit_rate` (hit rate
///   minus that; both with 6 decimals);
/// - with `data`: `ReplayReport.dataKeys` — `block_bytes`, `bytes_written`, `bytes_read`,
///   `disk_bytes_written`, `disk_bytes_read`, `verify_failures`, `spill_failures`,
///   `disk_self_evictions`, `elapsed_seconds`, `bytes_per_second`, then with a load
///   latency `load_latency_ns`, an object with `ReplayReport.latencyKeys` (`count`, `p50`,
///   `p90`, `p99`, `p999`, `max`, `mean`; nanoseconds);
/// - finally `extraFields` (name, string value).
package struct ReplayReport: Sendable, Encodable {
    /// The replay's counters and configuration.
    package var counters: ReplayCounters
    /// The same trace replayed with the same primary capacity and policy and disk 0, or nil.
    package var primaryOnly: ReplayCounters?
    /// Data-mode measurements, or nil in simulation.
    package var data: ReplayDataFigures?
    /// Line numbers of malformed trace lines skipped, or nil when not skipping.
    package var skippedLines: [Int]?
    /// More fields (name, string value), in the JSON as strings; also shown in the table.
    package var extraFields: [(String, String)]

    package init(
        counters: ReplayCounters, primaryOnly: ReplayCounters? = nil,
        data: ReplayDataFigures? = nil, skippedLines: [Int]? = nil,
        extraFields: [(String, String)] = []
    ) {
        if let primaryOnly {
            precondition(
                primaryOnly.diskBlocks == 0 && primaryOnly.primaryBlocks == counters.primaryBlocks,
                "the baseline must be the same primary capacity with disk 0")
        }
        self.counters = counters
        self.primaryOnly = primaryOnly
        self.data = data
        self.skippedLines = skippedLines
        self.extraFields = extraFields
    }

    /// Keys always present, in order (those of the expected-counters file).
    package static let counterKeys = [
        "requests", "blocks", "hit_primary", "hit_disk", "miss", "stored", "store_skipped",
        "disk_writes", "disk_reads", "primary_evictions", "disk_evictions", "promote_failed",
        "resident_primary", "resident_disk", "hit_rate", "primary_blocks", "disk_blocks",
        "policy",
    ]
    /// Keys present when a primary-only baseline was replayed.
    package static let baselineKeys = ["primary_only_hit_rate", "disk_added_hit_rate"]
    /// Keys present in data mode.
    package static let dataKeys = [
        "block_bytes", "bytes_written", "bytes_read", "disk_bytes_written", "disk_bytes_read",
        "verify_failures", "spill_failures", "disk_self_evictions", "elapsed_seconds",
        "bytes_per_second", "load_latency_ns",
    ]
    /// Keys of the `load_latency_ns` object (present when loads were timed).
    package static let latencyKeys = ["count", "p50", "p90", "p99", "p999", "max", "mean"]

    /// Hit rate with the disk tier minus the primary-only hit rate, or nil without a baseline.
    package var diskAddedHitRate: Double? {
        primaryOnly.map { counters.hitRate - $0.hitRate }
    }

    // MARK: JSON

    /// The report as one JSON object (keys documented on the type), written by `JSONText`.
    package func encode(to encoder: any Encoder) throws {
        try counters.encode(to: encoder)
        var c = encoder.container(keyedBy: JSONKey.self)
        if let skippedLines { try c.encode(skippedLines.count, forKey: JSONKey("skipped_lines")) }
        if let primaryOnly, let added = diskAddedHitRate {
            try c.encode(
                JSONText.decimals6(primaryOnly.hitRate), forKey: JSONKey("primary_only_hit_rate"))
            try c.encode(JSONText.decimals6(added), forKey: JSONKey("disk_added_hit_rate"))
        }
        if let data {
            try c.encode(data.blockBytes, forKey: JSONKey("block_bytes"))
            try c.encode(data.bytesWritten, forKey: JSONKey("bytes_written"))
            try c.encode(data.bytesRead, forKey: JSONKey("bytes_read"))
            try c.encode(data.diskBytesWritten, forKey: JSONKey("disk_bytes_written"))
            try c.encode(data.diskBytesRead, forKey: JSONKey("disk_bytes_read"))
            try c.encode(data.verifyFailures, forKey: JSONKey("verify_failures"))
            try c.encode(data.spillFailures, forKey: JSONKey("spill_failures"))
            try c.encode(data.diskSelfEvictions, forKey: JSONKey("disk_self_evictions"))
            try c.encode(JSONText.decimals6(data.elapsedSeconds), forKey: JSONKey("elapsed_seconds"))
            let rate = data.bytesPerSecond.isFinite ? Int(data.bytesPerSecond.rounded()) : 0
            try c.encode(rate, forKey: JSONKey("bytes_per_second"))
            if let latency = data.loadLatency {
                try c.encode(LoadLatencyJSON(latency), forKey: JSONKey("load_latency_ns"))
            }
        }
        for (name, value) in extraFields { try c.encode(value, forKey: JSONKey(name)) }
    }

    /// `load_latency_ns`: `ReplayReport.latencyKeys`, nanoseconds, mean rounded.
    struct LoadLatencyJSON: Encodable {
        var count: UInt64
        var p50: UInt64
        var p90: UInt64
        var p99: UInt64
        var p999: UInt64
        var max: UInt64
        var mean: Int

        init(_ l: LatencySummary) {
            count = l.count
            p50 = l.p50Nanoseconds
            p90 = l.p90Nanoseconds
            p99 = l.p99Nanoseconds
            p999 = l.p999Nanoseconds
            max = l.maxNanoseconds
            mean = l.meanNanoseconds.isFinite ? Int(l.meanNanoseconds.rounded()) : 0
        }
    }

    // MARK: Table

    /// `value` with exactly 6 decimals, signed (`-0.012000`), never exponent notation: the
    /// table's and the sweep CSV's spelling of rates.
    static func decimals6(_ value: Double) -> String {
        let magnitude = Int((abs(value) * 1_000_000).rounded())
        let fraction = String(magnitude % 1_000_000)
        let text =
            "\(magnitude / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
        return value < 0 && magnitude != 0 ? "-" + text : text
    }

    /// The report as an aligned two-column table with a few headed sections.
    package func tableText() -> String {
        let c = counters
        var sections: [(String, [(String, String)])] = []
        sections.append(
            (
                "configuration",
                [
                    ("policy", c.policy.rawValue),
                    ("primary capacity", "\(c.primaryBlocks) blocks"),
                    ("disk capacity", "\(c.diskBlocks) blocks"),
                    ("requests", "\(c.requests)"), ("block references", "\(c.blocks)"),
                ]
            ))
        var hits: [(String, String)] = [
            (
                "hit rate",
                Self.percent(c.hitRate) + "  (" + Self.decimals6(c.hitRate)
                    + "; \(c.hitPrimary + c.hitDisk) of \(c.blocks) block references)"
            ),
            ("  from primary", Self.share(c.hitPrimary, of: c.blocks)),
            ("  from disk", Self.share(c.hitDisk, of: c.blocks)),
            ("  miss", Self.share(c.miss, of: c.blocks)),
        ]
        if let primaryOnly, let added = diskAddedHitRate {
            hits.append(
                (
                    "primary-only hit rate",
                    Self.percent(primaryOnly.hitRate)
                        + "  (same \(c.primaryBlocks) primary blocks, disk 0)"
                ))
            hits.append(
                (
                    "disk tier added",
                    (added >= 0 ? "+" : "") + String(format: "%.2f", added * 100)
                        + " points of hit rate"
                        + (primaryOnly.hitRate > 0
                            ? String(
                                format: " (%.2fx the primary-only hits)",
                                c.hitRate / primaryOnly.hitRate) : "")
                ))
        }
        sections.append(("hits", hits))
        var moves: [(String, String)] = [
            ("stored", "\(c.stored)"), ("store skipped", "\(c.storeSkipped)"),
            ("disk writes", "\(c.diskWrites)"), ("disk reads (promotions)", "\(c.diskReads)"),
            ("primary evictions", "\(c.primaryEvictions)"),
            ("disk evictions", "\(c.diskEvictions)"),
            ("promote failed", "\(c.promoteFailed)"),
            ("resident primary", "\(c.residentPrimary)"), ("resident disk", "\(c.residentDisk)"),
        ]
        if c.diskReadFailures != 0 { moves.append(("disk read failures", "\(c.diskReadFailures)")) }
        if c.diskWriteFailures != 0 {
            moves.append(("disk write failures", "\(c.diskWriteFailures)"))
        }
        if let skippedLines {
            let list = skippedLines.prefix(10).map(String.init).joined(separator: ", ")
            moves.append(
                (
                    "skipped lines",
                    skippedLines.isEmpty
                        ? "0"
                        : "\(skippedLines.count) (lines \(list)\(skippedLines.count > 10 ? ", ..." : ""))"
                ))
        }
        sections.append(("block movements", moves))
        if let data {
            var rows: [(String, String)] = [
                ("block bytes", Self.bytes(UInt64(data.blockBytes))),
                ("bytes written", Self.bytes(UInt64(data.bytesWritten))),
                ("bytes read", Self.bytes(UInt64(data.bytesRead))),
                ("disk bytes written", Self.bytes(UInt64(data.diskBytesWritten))),
                ("disk bytes read", Self.bytes(UInt64(data.diskBytesRead))),
                ("elapsed", String(format: "%.3f s", data.elapsedSeconds)),
                (
                    "throughput",
                    String(format: "%.1f MiB/s (written + read)", data.bytesPerSecond / 1_048_576)
                ),
                ("verify failures", "\(data.verifyFailures)"),
                ("spill failures", "\(data.spillFailures)"),
                ("disk self-evictions", "\(data.diskSelfEvictions)"),
            ]
            if let directory = data.diskDirectory { rows.append(("disk directory", directory)) }
            if let l = data.loadLatency {
                rows.append(("loads timed", "\(l.count)"))
                rows.append(
                    (
                        "load latency",
                        "p50 \(Self.duration(l.p50Nanoseconds))  p90 \(Self.duration(l.p90Nanoseconds))  "
                            + "p99 \(Self.duration(l.p99Nanoseconds))  p99.9 \(Self.duration(l.p999Nanoseconds))  "
                            + "max \(Self.duration(l.maxNanoseconds))"
                    ))
            }
            sections.append(("data", rows))
        }
        if !extraFields.isEmpty { sections.append(("other", extraFields)) }
        let width = sections.flatMap { $0.1.map(\.0.count) }.max() ?? 0
        var lines: [String] = []
        for (title, rows) in sections {
            if !lines.isEmpty { lines.append("") }
            lines.append(title)
            for (name, value) in rows {
                lines.append(
                    "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ rate: Double) -> String { String(format: "%.2f%%", rate * 100) }

    static func share(_ count: Int, of total: Int) -> String {
        "\(count)"
            + (total > 0 ? String(format: "  (%.2f%%)", Double(count) / Double(total) * 100) : "")
    }

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0
            ? "\(count) B" : String(format: "%.2f ", value) + units[unit] + " (\(count) bytes)"
    }

    static func duration(_ nanoseconds: UInt64) -> String {
        if nanoseconds < 10_000 { return "\(nanoseconds) ns" }
        if nanoseconds < 1_000_000 { return String(format: "%.1f us", Double(nanoseconds) / 1e3) }
        return String(format: "%.2f ms", Double(nanoseconds) / 1e6)
    }
}
