// The JSON lines `spillway region create --json` prints (keys in docs/CLI.md; multi-process
// tests and python/tests read them).

/// One event of `region create`: mapped, checksummed, released.
enum RegionEvent: Encodable {
    /// The region is mapped (and filled when asked). `rank` is null for the manager.
    case ready(
        instanceID: String, path: String, isCreator: Bool, rank: Int?, pid: Int, rowStride: Int,
        numBlocks: Int, fileSize: Int, layout: String, rendezvous: String, segments: [String])
    /// The CRC32C of the mapping; `mismatchedBytes` with --verify.
    case checksum(crc32c: UInt32, mismatchedBytes: Int?)
    /// The mapping was released.
    case exit(reason: String)

    enum CodingKeys: String, CodingKey {
        case event, instanceID, path, isCreator, rank, pid, rowStride, numBlocks, fileSize
        case layout, rendezvous, segments, crc32c, mismatchedBytes, reason
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ready(
            let instanceID, let path, let isCreator, let rank, let pid, let rowStride, let numBlocks,
            let fileSize, let layout, let rendezvous, let segments):
            try c.encode("ready", forKey: .event)
            try c.encode(instanceID, forKey: .instanceID)
            try c.encode(path, forKey: .path)
            try c.encode(isCreator, forKey: .isCreator)
            try c.encode(rank, forKey: .rank)  // null for the manager
            try c.encode(pid, forKey: .pid)
            try c.encode(rowStride, forKey: .rowStride)
            try c.encode(numBlocks, forKey: .numBlocks)
            try c.encode(fileSize, forKey: .fileSize)
            try c.encode(layout, forKey: .layout)
            try c.encode(rendezvous, forKey: .rendezvous)
            try c.encode(segments, forKey: .segments)
        case .checksum(let crc32c, let mismatchedBytes):
            try c.encode("checksum", forKey: .event)
            try c.encode(crc32c, forKey: .crc32c)
            try c.encodeIfPresent(mismatchedBytes, forKey: .mismatchedBytes)
        case .exit(let reason):
            try c.encode("exit", forKey: .event)
            try c.encode(reason, forKey: .reason)
        }
    }
}
