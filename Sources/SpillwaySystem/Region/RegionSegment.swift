// How a region's rows are split over backing files (vLLM 0.33's `num_segments`): which file
// holds which rows, and where each file sits in the one contiguous mapping.
//
// Worked example: B = 2048 rows of S = 1 MiB (2 GiB), numSegments = 32. A file is worth it
// only per full GiB, so n = min(32, 2 GiB / 1 GiB) = 2; runs of ceil(2048 / 2) = 1024 rows:
//   segment 0: <path>    offset 0      length 1 GiB (rows 0..<1024)
//   segment 1: <path>.1  offset 1 GiB  length 1 GiB (rows 1024..<2048)

/// One backing file of a region: rows `[firstRow, firstRow + rowCount)`, mapped at `offset`.
public struct RegionSegment: Hashable, Sendable {
    /// 0 for the region path itself, `i` for `<path>.i`.
    public let index: Int
    /// The file's path.
    public let path: String
    /// Where the file starts in the region's mapping (`firstRow * S`).
    public let offset: Int
    /// The file's exact size (`rowCount * S`).
    public let length: Int
    /// First row held by this file.
    public let firstRow: Int
    /// Rows held by this file.
    public let rowCount: Int

    /// vLLM's `_MIN_SEGMENT_BYTES`: a region gets at most one file per full GiB (page-cache
    /// inserts are serialized per file; smaller files are not worth it).
    public static let minimumBytes = 1 << 30

    /// The path of segment `index` of the region at `regionPath`: the path itself for 0,
    /// `<regionPath>.<index>` otherwise.
    public static func path(index: Int, regionPath: String) -> String {
        index == 0 ? regionPath : "\(regionPath).\(index)"
    }

    /// The files of a region, as vLLM 0.33 computes them: `n = min(requested, size / 1 GiB)`,
    /// rows in runs of `max(1, ceil(B / max(1, n)))`, one file per run. The file count can be
    /// below `n` (e.g. B = 5, n = 4: runs of 2 rows, 3 files) and is 1 below 2 GiB.
    /// - Precondition: `requested >= 1` (validated by the region initializer).
    public static func plan(regionPath: String, geometry: RegionGeometry, requested: Int)
        -> [RegionSegment]
    {
        precondition(requested >= 1, "numSegments must be at least 1")
        let n = max(1, min(requested, geometry.fileSize / minimumBytes))
        let rows = max(1, (geometry.numBlocks + n - 1) / n)
        return stride(from: 0, to: geometry.numBlocks, by: rows).enumerated().map { i, first in
            let count = min(rows, geometry.numBlocks - first)
            return RegionSegment(
                index: i, path: path(index: i, regionPath: regionPath),
                offset: first * geometry.rowStride, length: count * geometry.rowStride,
                firstRow: first, rowCount: count)
        }
    }
}
