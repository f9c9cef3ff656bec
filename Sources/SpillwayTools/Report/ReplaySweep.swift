// A grid of simulated replays over primary and disk capacities, with its CSV and JSON
// (`spillway replay --sweep`); the SVG chart is SweepChart.
import Spillway
import SpillwayCore
import SpillwaySystem
import Foundation

/// Simulated replays of one trace over every (primary, disk) capacity pair of a grid.
package struct ReplaySweep: Sendable {
    /// One grid point: the counters at (primary, disk) and the primary-only hit rate at the
    /// same primary capacity (disk 0).
    package struct Point: Sendable, Equatable, Encodable {
        package var counters: ReplayCounters
        package var primaryOnlyHitRate: Double
        package var primaryBlocks: Int { counters.primaryBlocks }
        package var diskBlocks: Int { counters.diskBlocks }
        package var totalBlocks: Int { counters.primaryBlocks + counters.diskBlocks }
        package var hitRate: Double { counters.hitRate }
        package var diskAddedHitRate: Double { counters.hitRate - primaryOnlyHitRate }

        /// The counters' keys plus `primary_only_hit_rate`, `disk_added_hit_rate`,
        /// `total_blocks`.
        package func encode(to encoder: any Encoder) throws {
            try counters.encode(to: encoder)
            var c = encoder.container(keyedBy: JSONKey.self)
            try c.encode(
                JSONText.decimals6(primaryOnlyHitRate), forKey: JSONKey("primary_only_hit_rate"))
            try c.encode(
                JSONText.decimals6(diskAddedHitRate), forKey: JSONKey("disk_added_hit_rate"))
            try c.encode(totalBlocks, forKey: JSONKey("total_blocks"))
        }
    }

    package let primaryBlocksList: [Int]
    package let diskBlocksList: [Int]
    package let policy: TieringPolicy
    /// Points in grid order: primary capacities outer, disk capacities inner, as listed.
    package let points: [Point]

    /// CSV columns, in order (documented in docs/CLI.md).
    package static let csvColumns = [
        "primary_blocks", "disk_blocks", "total_blocks", "policy", "requests", "blocks",
        "hit_primary", "hit_disk", "miss", "hit_rate", "primary_only_hit_rate",
        "disk_added_hit_rate", "disk_writes", "disk_reads", "primary_evictions",
        "disk_evictions",
    ]

    /// Replays `trace` once per grid point (and once per primary capacity with disk 0
    /// when 0 is not in `diskBlocksList`). `progress(done, total)` after each replay.
    /// Lists must be valid (`parseList`); capacities are in blocks.
    package init(
        trace: MooncakeTrace, primaryBlocksList: [Int], diskBlocksList: [Int],
        policy: TieringPolicy, progress: ((Int, Int) -> Void)? = nil
    ) {
        precondition(!primaryBlocksList.isEmpty && !diskBlocksList.isEmpty, "empty sweep list")
        self.primaryBlocksList = primaryBlocksList
        self.diskBlocksList = diskBlocksList
        self.policy = policy
        let total = primaryBlocksList.count * diskBlocksList.count
        var done = 0
        var points: [Point] = []
        for primary in primaryBlocksList {
            var row: [ReplayCounters] = []
            for disk in diskBlocksList {
                row.append(Self.replay(trace, primary: primary, disk: disk, policy: policy))
                done += 1
                progress?(done, total)
            }
            let baseline =
                row.first(where: { $0.diskBlocks == 0 })
                ?? Self.replay(trace, primary: primary, disk: 0, policy: policy)
            points += row.map { Point(counters: $0, primaryOnlyHitRate: baseline.hitRate) }
        }
        self.points = points
    }

    static func replay(_ trace: MooncakeTrace, primary: Int, disk: Int, policy: TieringPolicy)
        -> ReplayCounters
    {
        let engine = ReplayEngine(primaryBlocks: primary, diskBlocks: disk, policy: policy)
        engine.replay(trace)
        return engine.counters
    }

    /// Parses a comma-separated list of block counts (`250,500,1000`; `_` allowed inside
    /// numbers; `k`/`m` suffixes for thousands/millions). Entries must be distinct and
    /// `>= minimum`; the list is returned in the given order.
    package static func parseList(_ text: String, name: String, minimum: Int) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SweepListError(
                "\(name) is empty: give comma-separated block counts, e.g. 250,500,1000")
        }
        var values: [Int] = []
        for part in parts {
            guard let value = parseCount(part) else {
                throw SweepListError(
                    "\(name): '\(part)' is not a block count (use whole numbers like 500, 2k or 1m, separated by commas)"
                )
            }
            guard value >= minimum else {
                throw SweepListError("\(name): \(value) is below the minimum of \(minimum) blocks")
            }
            guard value <= 50_000_000 else {
                throw SweepListError(
                    "\(name): \(value) is above 50000000 blocks (the directory is preallocated)")
            }
            guard !values.contains(value) else {
                throw SweepListError("\(name): \(value) is listed twice")
            }
            values.append(value)
        }
        return values
    }

    static func parseCount(_ text: String) -> Int? {
        var digits = text.replacingOccurrences(of: "_", with: "").lowercased()
        var multiplier = 1
        if digits.hasSuffix("k") {
            multiplier = 1_000
            digits.removeLast()
        } else if digits.hasSuffix("m") {
            multiplier = 1_000_000
            digits.removeLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
            let value = Int(digits)
        else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    // MARK: Output

    /// The grid as CSV: a header of `csvColumns`, then one row per point in grid order.
    package func csvText() -> String {
        var lines = [Self.csvColumns.joined(separator: ",")]
        for point in points {
            let c = point.counters
            lines.append(
                [
                    "\(c.primaryBlocks)", "\(c.diskBlocks)", "\(point.totalBlocks)",
                    c.policy.rawValue,
                    "\(c.requests)", "\(c.blocks)", "\(c.hitPrimary)", "\(c.hitDisk)", "\(c.miss)",
                    ReplayReport.decimals6(c.hitRate),
                    ReplayReport.decimals6(point.primaryOnlyHitRate),
                    ReplayReport.decimals6(point.diskAddedHitRate), "\(c.diskWrites)",
                    "\(c.diskReads)",
                    "\(c.primaryEvictions)", "\(c.diskEvictions)",
                ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The grid with the trace it was replayed from, as `JSONText` writes it: `trace`,
    /// `policy`, `primary_blocks_list`, `disk_blocks_list`, and `points`, each point the
    /// replay's counter keys plus `primary_only_hit_rate`, `disk_added_hit_rate` (6 decimals)
    /// and `total_blocks`.
    package struct Document: Encodable {
        package var trace: String
        package var sweep: ReplaySweep

        package init(trace: String, sweep: ReplaySweep) {
            self.trace = trace
            self.sweep = sweep
        }

        enum CodingKeys: String, CodingKey {
            case trace, policy, points
            case primaryBlocksList = "primary_blocks_list", diskBlocksList = "disk_blocks_list"
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(trace, forKey: .trace)
            try c.encode(sweep.policy, forKey: .policy)
            try c.encode(sweep.primaryBlocksList, forKey: .primaryBlocksList)
            try c.encode(sweep.diskBlocksList, forKey: .diskBlocksList)
            try c.encode(sweep.points, forKey: .points)
        }
    }

    /// A grid of hit rates for the terminal: one row per primary capacity, one column per
    /// disk capacity.
    package func tableText() -> String {
        let header = ["primary \\ disk"] + diskBlocksList.map { "\($0)" }
        var rows = [header]
        for (index, primary) in primaryBlocksList.enumerated() {
            let slice = points[
                (index * diskBlocksList.count)..<((index + 1) * diskBlocksList.count)]
            rows.append(["\(primary)"] + slice.map { String(format: "%.2f%%", $0.hitRate * 100) })
        }
        let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == 0
                    ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// A bad `--primary-blocks-list` / `--disk-blocks-list`, with a message saying what to give.
package struct SweepListError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}
