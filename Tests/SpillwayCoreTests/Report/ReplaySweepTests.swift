// ReplaySweep: the grid's CSV/JSON/SVG are produced and well-formed, hit rate grows with disk
// capacity at fixed primary on the shared trace, and bad lists are refused with a message.
import Foundation
import SpillwayCore
import SpillwayTesting
import Testing
@testable import SpillwayTools

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct ReplaySweepTests {
    static let primaries = [250, 1000]
    static let disks = [0, 2000, 5000, 10000]

    static func sweep() throws -> ReplaySweep {
        let traces = try #require(SharedTraces.directory(testFile: #filePath))
        let trace = try MooncakeTrace.parse(
            [UInt8](try Data(contentsOf: traces.appendingPathComponent("mooncake-synthetic.jsonl")))
        )
        return ReplaySweep(
            trace: trace, primaryBlocksList: primaries, diskBlocksList: disks,
            policy: .spill)
    }

    /// Setup: 2 primaries x 4 disks on the shared trace. Checks: CSV has a header of the
    /// documented columns plus one row per grid point, in grid order; each point equals a
    /// separate replay at its capacities (1000/10000 is the expected file's 0.433855); hit
    /// rate is non-decreasing in disk capacity at fixed primary; the baseline column is the
    /// disk-0 hit rate of the same primary.
    @Test func csvRowsAndMonotoneHitRate() throws {
        let sweep = try Self.sweep()
        let lines = sweep.csvText().split(separator: "\n").map(String.init)
        #expect(lines.count == 1 + Self.primaries.count * Self.disks.count)
        #expect(lines[0] == ReplaySweep.csvColumns.joined(separator: ","))
        var index = 1
        for primary in Self.primaries {
            var previous = -1.0
            var baseline: String?
            for disk in Self.disks {
                let cells = lines[index].split(separator: ",").map(String.init)
                #expect(cells.count == ReplaySweep.csvColumns.count)
                #expect(
                    cells[0] == "\(primary)" && cells[1] == "\(disk)"
                        && cells[2] == "\(primary + disk)")
                let rate = try #require(Double(cells[9]))
                #expect(
                    rate >= previous,
                    "hit rate fell from \(previous) to \(rate) at primary \(primary), disk \(disk)")
                previous = rate
                if disk == 0 { baseline = cells[9] }
                #expect(cells[10] == baseline)
                index += 1
            }
        }
        let point = try #require(
            sweep.points.first { $0.primaryBlocks == 1000 && $0.diskBlocks == 10000 })
        #expect(point.hitRate == 0.433855)
        #expect(point.primaryOnlyHitRate == 0.083437)
    }

    /// Setup: the same sweep. Checks: the JSON parses, has the lists and one point per grid
    /// cell with the counter keys plus the sweep keys.
    @Test func jsonIsWellFormed() throws {
        let sweep = try Self.sweep()
        let object = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    try JSONText.encode(ReplaySweep.Document(trace: "t \"q\".jsonl", sweep: sweep))
                        .utf8)) as? [String: Any])
        #expect(object["trace"] as? String == "t \"q\".jsonl")
        #expect(object["primary_blocks_list"] as? [Int] == Self.primaries)
        #expect(object["disk_blocks_list"] as? [Int] == Self.disks)
        let points = try #require(object["points"] as? [[String: Any]])
        #expect(points.count == Self.primaries.count * Self.disks.count)
        let keys = Set(ReplayReport.counterKeys + ReplayReport.baselineKeys + ["total_blocks"])
        for point in points { #expect(Set(point.keys) == keys) }
    }

    /// Setup: the same sweep as SVG. Checks: XMLParser parses it without error; root is
    /// <svg>; one solid polyline per primary size plus the dashed primary-only line; one
    /// circle per point; axis labels and a legend entry per line are present.
    @Test func svgIsWellFormedWithLinesAndLegend() throws {
        let svg = SweepChart.svg(try Self.sweep(), title: "sweep <test> & co")
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [String: Int] = [:]
            var root: String?
            var texts: [String] = []
            var current = ""
            func parser(
                _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]
            ) {
                if root == nil { root = name }
                elements[name, default: 0] += 1
                current = ""
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
            func parser(
                _ parser: XMLParser, didEndElement name: String, namespaceURI: String?,
                qualifiedName: String?
            ) {
                if name == "text" { texts.append(current) }
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "SVG does not parse: \(String(describing: parser.parserError))")
        #expect(collector.root == "svg")
        #expect(collector.elements["polyline"] == Self.primaries.count + 1)
        #expect(collector.elements["circle"] == Self.primaries.count * Self.disks.count)
        #expect(collector.texts.contains("sweep <test> & co"))
        #expect(collector.texts.contains { $0.hasPrefix("total capacity") })
        #expect(collector.texts.contains { $0.hasPrefix("hit rate") })
        #expect(collector.texts.contains("primary only (disk 0)"))
        for primary in ["250", "1k"] {
            #expect(collector.texts.contains { $0.hasPrefix("primary \(primary) + disk") })
        }
        #expect(collector.texts.contains("0%") && collector.texts.contains("50%"))
    }

    /// Bad lists are refused with a message naming the flag and the entry; good ones parse.
    @Test func listParsing() throws {
        #expect(
            try ReplaySweep.parseList("250, 500,2k,1_000", name: "--p", minimum: 1) == [
                250, 500, 2000, 1000,
            ])
        #expect(try ReplaySweep.parseList("0,1m", name: "--d", minimum: 0) == [0, 1_000_000])
        for (bad, fragment) in [
            ("", "empty"), ("1,,2", "''"), ("a", "'a'"), ("-5", "'-5'"), ("0", "below the minimum"),
            ("5,5", "listed twice"), ("99999999999", "above"), ("1.5", "'1.5'"),
        ] {
            do {
                _ = try ReplaySweep.parseList(bad, name: "--primary-blocks-list", minimum: 1)
                Issue.record("'\(bad)' was accepted")
            } catch let error as SweepListError {
                #expect(error.description.contains("--primary-blocks-list"), "\(error)")
                #expect(error.description.contains(fragment), "'\(bad)': \(error)")
            }
        }
    }
}
