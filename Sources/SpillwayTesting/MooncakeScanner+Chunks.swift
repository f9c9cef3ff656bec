// Feeds bytes to a MooncakeScanner in fixed-size chunks, as a file read would (lines may
// span chunks).
import SpillwayCore

extension MooncakeScanner {
    /// Consumes `bytes` in chunks of `chunkSize` bytes (the last one shorter).
    package mutating func consume(_ bytes: [UInt8], chunkSize: Int) throws {
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunkSize)
            try bytes[start..<end].withUnsafeBytes { try consume($0) }
            start = end
        }
    }
}
