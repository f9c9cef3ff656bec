// `spillway bench data-mode`'s series of runs: the first replay with a data-path bug ends it
// before its fio run, and the report keeps the runs so far.
import Foundation
import SpillwayTools
import Testing

@Suite struct BenchDataModeMeasureTests {
    /// A replay's figures: `verifyFailures` on the given run.
    static func run(_ number: Int, verifyFailures: Int = 0) -> DataModeBenchmarkReport.Run {
        DataModeBenchmarkReport.Run(
            replaySeconds: Double(number), replayUserSeconds: 0.5, replaySystemSeconds: 0.25,
            diskBytesWritten: 1000, diskBytesRead: 500, verifyFailures: verifyFailures,
            diskSelfEvictions: 0)
    }

    static func report(_ runs: [DataModeBenchmarkReport.Run]) -> DataModeBenchmarkReport {
        DataModeBenchmarkReport(
            trace: "t.jsonl", primaryBlocks: 1, diskBlocks: 2, blockBytes: 4096, queueDepth: 4,
            fioQueueDepth: 8, payload: "random", compression: "none", runs: runs)
    }

    /// Setup: three runs, the second replay reports verify failures. Checks: two replays and
    /// one fio ran; the runs are the first (with fio's figures) and the failing one (fio
    /// null in the JSON); the message is the failing replay's; the median ratio is the
    /// first run's only.
    @Test func aRunWithVerifyFailuresEndsTheSeriesBeforeItsFio() throws {
        var replays: [Int] = []
        var fioRuns = 0
        let (runs, bug) = DataModeBenchmarkReport.measure(runs: 3) { number in
            replays.append(number)
            return number == 2
                ? (Self.run(number, verifyFailures: 3), "3 verify failures")
                : (Self.run(number), nil)
        } fio: {
            fioRuns += 1
            return (write: 100, read: 50)
        }
        #expect(replays == [1, 2])
        #expect(fioRuns == 1)
        #expect(bug == "3 verify failures")
        #expect(runs.map(\.verifyFailures) == [0, 3])
        #expect(runs[0].fioWriteBytesPerSecond == 100 && runs[0].deviceSeconds == 20)
        #expect(runs[1].fioWriteBytesPerSecond == nil && runs[1].deviceSpeedRatio == nil)

        let report = Self.report(runs)
        #expect(report.deviceSpeedRatio == 20)
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        let encodedRuns = try #require(object["runs"] as? [[String: Any]])
        #expect(encodedRuns.count == 2)
        for key in [
            "fio_write_bytes_per_second", "fio_read_bytes_per_second", "device_seconds",
            "device_speed_ratio",
        ] {
            #expect(encodedRuns[0][key] is NSNumber, "\(key)")
            #expect(encodedRuns[1][key] is NSNull, "\(key) of the failing run")
        }
        #expect(encodedRuns[1]["verify_failures"] as? Int == 3)
    }

    /// Setup: a first replay that fails, and three clean runs. Checks: the failing series has
    /// no fio run and a null median; the clean one runs fio after every replay.
    @Test func firstRunFailingAndCleanSeries() throws {
        var fioRuns = 0
        let (failed, bug) = DataModeBenchmarkReport.measure(runs: 3) { number in
            (Self.run(number, verifyFailures: 1), "bug")
        } fio: {
            fioRuns += 1
            return (write: 1, read: 1)
        }
        #expect(failed.count == 1 && bug == "bug" && fioRuns == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.report(failed)))
                as? [String: Any])
        #expect(object["device_speed_ratio"] is NSNull)

        let (clean, none) = DataModeBenchmarkReport.measure(runs: 3) { number in
            (Self.run(number), nil)
        } fio: {
            fioRuns += 1
            return (write: 100, read: 50)
        }
        #expect(none == nil && fioRuns == 3)
        #expect(clean.map(\.deviceSpeedRatio) == [20, 10, 20.0 / 3])
    }
}
