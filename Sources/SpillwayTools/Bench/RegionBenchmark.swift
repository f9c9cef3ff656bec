// Measures row copy bandwidth into and out of a SharedOffloadRegion against plain memcpy
// between two private buffers of the same size, in the same process (docs/BENCHMARKS.md).
import Spillway
import SpillwayCore
import SpillwaySystem
import Foundation

/// Region benchmark: copies whole rows from a private buffer into the region's rows (what
/// a store from the engine does), from the region's rows into a second private buffer (a
/// load), and between the two private buffers (the memcpy reference), row by row in the
/// same loop, best of `passes` each.
package enum RegionBenchmark {
    /// Options; `problem()` says what is wrong.
    package struct Options: Sendable {
        package var rows: Int
        package var blockBytes: Int
        package var passes: Int
        package var directory: String

        package init(rows: Int, blockBytes: Int, passes: Int, directory: String = "/dev/shm") {
            self.rows = rows
            self.blockBytes = blockBytes
            self.passes = passes
            self.directory = directory
        }

        /// A message naming the bad option, or nil.
        package func problem() -> String? {
            if rows < 1 { return "--rows must be >= 1 (got \(rows))" }
            if blockBytes < 4096 || blockBytes % 4096 != 0 {
                return "--block-bytes must be a positive multiple of 4096 (got \(blockBytes))"
            }
            if passes < 1 { return "--passes must be >= 1 (got \(passes))" }
            if rows.multipliedReportingOverflow(by: blockBytes).overflow || rows * blockBytes > 64 << 30
            {
                return
                    "--rows x --block-bytes must be <= 64 GiB (three buffers of that size are mapped)"
            }
            return nil
        }
    }

    /// The result (JSON keys in snake_case).
    package struct Report: Sendable, Codable, Equatable {
        package var rows: Int
        package var blockBytes: Int
        package var bytesPerPass: Int
        package var passes: Int
        package var directory: String
        /// Private buffer -> region rows, bytes per second (best pass).
        package var intoRegionBytesPerSecond: Double
        /// Region rows -> private buffer, bytes per second (best pass).
        package var outOfRegionBytesPerSecond: Double
        /// Private buffer -> private buffer, bytes per second (best pass).
        package var memcpyBytesPerSecond: Double
        /// intoRegion / memcpy.
        package var intoRatio: Double
        /// outOfRegion / memcpy.
        package var outOfRatio: Double

        enum CodingKeys: String, CodingKey {
            case rows, passes, directory
            case blockBytes = "block_bytes"
            case bytesPerPass = "bytes_per_pass"
            case intoRegionBytesPerSecond = "into_region_bytes_per_second"
            case outOfRegionBytesPerSecond = "out_of_region_bytes_per_second"
            case memcpyBytesPerSecond = "memcpy_bytes_per_second"
            case intoRatio = "into_ratio"
            case outOfRatio = "out_of_ratio"
        }
    }

    /// Creates a private region (one worker slot of `blockBytes` per row) in `directory`,
    /// runs the copies, checks every row arrived intact, removes the region.
    package static func run(_ options: Options) throws -> Report {
        precondition(options.problem() == nil, "options are validated by the caller")
        let bytes = options.rows * options.blockBytes
        let region = try SharedOffloadRegion(
            instanceID:
                "spillway-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))",
            numBlocks: options.rows, rank: nil, numWorkers: 1, cpuPageSize: options.blockBytes,
            layout: .pageAligned, directory: options.directory)
        defer { region.cleanup() }
        let rows = region.createKVMemoryView()
        let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        defer {
            source.deallocate()
            target.deallocate()
        }
        // Fault every page in before timing and give each row a distinct payload.
        PayloadGenerator.fill(
            UnsafeMutableRawBufferPointer(start: source, count: bytes), key: BlockKey(traceID: 7),
            kind: .random)
        target.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        let blockBytes = options.blockBytes

        let clock = ContinuousClock()
        func timed(_ body: () -> Void) -> Duration {
            let start = clock.now
            body()
            return clock.now - start
        }
        // The three loops alternate within each pass so machine noise hits them alike; the
        // best pass of each is reported.
        var memcpyTime = Duration.seconds(1_000_000)
        var intoTime = memcpyTime
        var outTime = memcpyTime
        for _ in 0..<options.passes {
            memcpyTime = min(
                memcpyTime,
                timed {
                    for row in 0..<options.rows {
                        (target + row * blockBytes).copyMemory(
                            from: source + row * blockBytes, byteCount: blockBytes)
                    }
                })
            target.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            intoTime = min(
                intoTime,
                timed {
                    for row in 0..<options.rows {
                        rows[row].baseAddress!.copyMemory(
                            from: source + row * blockBytes, byteCount: blockBytes)
                    }
                })
            outTime = min(
                outTime,
                timed {
                    for row in 0..<options.rows {
                        (target + row * blockBytes).copyMemory(
                            from: rows[row].baseAddress!, byteCount: blockBytes)
                    }
                })
        }
        guard
            PayloadGenerator.bytesEqual(
                UnsafeRawBufferPointer(start: source, count: bytes),
                UnsafeRawBufferPointer(start: target, count: bytes))
        else {
            throw RegionBenchmarkError(
                "rows read back from the region differ from those written: the region at \(region.path) is being written by another process"
            )
        }
        func rate(_ duration: Duration) -> Double {
            let seconds =
                Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return seconds > 0 ? Double(bytes) / seconds : 0
        }
        let reference = rate(memcpyTime)
        return Report(
            rows: options.rows, blockBytes: blockBytes, bytesPerPass: bytes, passes: options.passes,
            directory: options.directory, intoRegionBytesPerSecond: rate(intoTime),
            outOfRegionBytesPerSecond: rate(outTime), memcpyBytesPerSecond: reference,
            intoRatio: reference > 0 ? rate(intoTime) / reference : 0,
            outOfRatio: reference > 0 ? rate(outTime) / reference : 0)
    }
}

/// A region benchmark that could not run or whose copies did not verify.
package struct RegionBenchmarkError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}
