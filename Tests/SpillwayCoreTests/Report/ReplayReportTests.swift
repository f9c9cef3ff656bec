// ReplayReport: JSON keys stay exactly as documented for every combination of optional
// groups (JSONText writes them sorted); the table shows the key figures.
import Foundation
import SpillwayTesting
import Testing

@testable import SpillwayCore
@testable import SpillwayTools

@Suite struct ReplayReportTests {
    static func counters(primary: Int = 1000, disk: Int = 10000) -> ReplayCounters {
        var tiering = TieringCounters()
        tiering.requests = 10
        tiering.blocks = 1000
        tiering.hitPrimary = 300
        tiering.hitDisk = 200
        tiering.miss = 500
        tiering.stored = 500
        tiering.diskWrites = 400
        tiering.diskReads = 200
        return ReplayCounters(
            counters: tiering, residentPrimary: primary, residentDisk: disk, primaryBlocks: primary,
            diskBlocks: disk, policy: .spill)
    }

    static func baseline() -> ReplayCounters {
        var c = counters(primary: 1000, disk: 0)
        c.hitPrimary = 120
        c.hitDisk = 0
        c.miss = 880
        c.hitRate = 0.12
        return c
    }

    /// Keys of a one-line JSON object in text order (JSONText writes `"key":value`).
    static func orderedKeys(_ text: String) throws -> [String] {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let keys = object.keys.sorted {
            text.range(of: "\"\($0)\":")!.lowerBound < text.range(of: "\"\($1)\":")!.lowerBound
        }
        return keys
    }

    /// Setup: counters only (a plain simulated replay). Check: exactly the expected-file keys,
    /// sorted, and the whole text equals a hand-written line with the given values (zero for
    /// counters not set, `hit_rate` hits / blocks = 0.5).
    @Test func simulationKeysAreTheExpectedFileKeys() throws {
        let report = ReplayReport(counters: Self.counters())
        let text = try JSONText.encode(report)
        #expect(try Self.orderedKeys(text) == ReplayReport.counterKeys.sorted())
        let expected =
            #"{"blocks":1000,"disk_blocks":10000,"disk_evictions":0,"disk_reads":200,"#
            + #""disk_writes":400,"hit_disk":200,"hit_primary":300,"hit_rate":0.5,"miss":500,"#
            + #""policy":"spill","primary_blocks":1000,"primary_evictions":0,"promote_failed":0,"#
            + #""requests":10,"resident_disk":10000,"resident_primary":1000,"store_skipped":0,"#
            + #""stored":500}"#
        #expect(text == expected)
    }

    /// Setup: every optional group. Check: keys are counters, skipped_lines, baseline, data,
    /// latency, extras (sorted); values are the given ones.
    @Test func everyGroupAppendsItsDocumentedKeysInOrder() throws {
        var latency = LatencyHistogram()
        for value in [1000, 2000, 3000, 4000, 100_000] as [UInt64] {
            latency.record(nanoseconds: value)
        }
        let data = ReplayDataFigures(
            blockBytes: 65536, bytesWritten: 4 << 20, bytesRead: 2 << 20, verifyFailures: 0,
            elapsedSeconds: 2, loadLatency: latency.summary)
        let report = ReplayReport(
            counters: Self.counters(), primaryOnly: Self.baseline(), data: data,
            skippedLines: [3, 7],
            extraFields: [("extra_key", "65536")])
        let text = try JSONText.encode(report)
        let expected =
            ReplayReport.counterKeys + ["skipped_lines"] + ReplayReport.baselineKeys
            + ReplayReport.dataKeys + ["extra_key"]
        #expect(try Self.orderedKeys(text) == expected.sorted())
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(object["skipped_lines"] as? Int == 2)
        #expect("\(object["primary_only_hit_rate"]!)" == "0.12")
        #expect("\(object["disk_added_hit_rate"]!)" == "0.38")
        #expect(object["bytes_per_second"] as? Int == 3 << 20)
        let latencyObject = try #require(object["load_latency_ns"] as? [String: Any])
        #expect(Set(latencyObject.keys) == Set(ReplayReport.latencyKeys))
        #expect(latencyObject["count"] as? Int == 5)
        #expect((latencyObject["p50"] as? Int).map { (2990...3010).contains($0) } == true)
        #expect(latencyObject["max"] as? Int == 100_000)
        #expect(object["block_bytes"] as? Int == 65536)
        #expect(object["extra_key"] as? String == "65536")
    }

    /// Setup: a baseline above the disk run (the disk tier lost hits). Check: the added hit
    /// rate is negative in the JSON and printed with a sign, never in exponent notation, in
    /// the table's spelling.
    @Test func negativeAddedHitRateIsSigned() throws {
        var baseline = Self.baseline()
        baseline.hitRate = 0.75
        let report = ReplayReport(counters: Self.counters(), primaryOnly: baseline)
        #expect(try JSONText.encode(report).contains("\"disk_added_hit_rate\":-0.25,"))
        #expect(report.tableText().contains("-25.00 points of hit rate"))
        #expect(ReplayReport.decimals6(0.0000004) == "0.000000")
        #expect(ReplayReport.decimals6(-0.0000004) == "0.000000")
        #expect(ReplayReport.decimals6(-0.012) == "-0.012000")
    }

    /// Setup: the shared trace at 1000 / 10000 with its primary-only baseline, plus data
    /// figures. Check: the table shows the hit rate, each tier's hits, the primary-only rate,
    /// what the disk added, bytes, throughput and latency percentiles.
    @Test func tableShowsTheKeyFigures() throws {
        let traces = try #require(SharedTraces.directory(testFile: #filePath))
        let trace = try MooncakeTrace.parse(
            [UInt8](try Data(contentsOf: traces.appendingPathComponent("mooncake-synthetic.jsonl")))
        )
        let withDisk = ReplayEngine(primaryBlocks: 1000, diskBlocks: 10000, policy: .spill)
        withDisk.replay(trace)
        let primaryOnly = ReplayEngine(primaryBlocks: 1000, diskBlocks: 0, policy: .spill)
        primaryOnly.replay(trace)
        var latency = LatencyHistogram()
        latency.record(nanoseconds: 50_000)
        let report = ReplayReport(
            counters: withDisk.counters, primaryOnly: primaryOnly.counters,
            data: ReplayDataFigures(
                blockBytes: 1 << 20, bytesWritten: 3 << 30, bytesRead: 1 << 30, verifyFailures: 0,
                elapsedSeconds: 4, loadLatency: latency.summary))
        let table = report.tableText()
        for figure in [
            "43.39%", "0.433855", "10247", "42630", "69000", "8.34%", "disk tier added",
            "+35.04 points", "3.00 GiB", "1024.0 MiB/s", "p99", "50.0 us", "verify failures",
        ] {
            #expect(table.contains(figure), "table lacks \(figure):\n\(table)")
        }
        // The baseline is a replay with the same primary and disk 0.
        #expect(primaryOnly.counters.hitRate == 0.083437)
    }
}
