// The C ABI (include/spillway.h) over `OffloadTier<URingIO>`: plain C types in, codes and
// messages out, every argument checked, no Swift error or trap crosses the boundary.
import Spillway
import SpillwayCore
import SpillwaySystem

/// The ABI version `spillway.h` describes (`SPW_ABI_VERSION`). Versions only grow: this
/// library takes every call a client of an earlier version makes.
let abiVersion: UInt32 = 2

/// `sizeof(spw_tier_options)` of each ABI version that changed it: 1 (40 bytes), 2 (56:
/// `extra_directories`, `extra_directory_count`, `reserved`).
private let tierOptionsSizeV1: UInt32 = 40
private let tierOptionsSizeV2: UInt32 = 56

/// Live handles: every call checks its handle against this set, so a NULL, stale or
/// foreign pointer is an error rather than a crash.
private let registry = HandleRegistry()

private final class TierHandle {
    let tier: OffloadTier<URingIO>
    init(_ tier: OffloadTier<URingIO>) { self.tier = tier }
}

private final class HandleRegistry: @unchecked Sendable {
    private let lock = ConditionLock()
    private var live: Set<UnsafeMutableRawPointer> = []

    func insert(_ handle: TierHandle) -> UnsafeMutableRawPointer {
        let pointer = Unmanaged.passRetained(handle).toOpaque()
        lock.withLock { _ = live.insert(pointer) }
        return pointer
    }

    func lookup(_ pointer: UnsafeMutableRawPointer?) -> TierHandle? {
        guard let pointer else { return nil }
        return lock.withLock {
            live.contains(pointer)
                ? Unmanaged<TierHandle>.fromOpaque(pointer).takeUnretainedValue() : nil
        }
    }

    func remove(_ pointer: UnsafeMutableRawPointer?) -> TierHandle? {
        guard let pointer else { return nil }
        return lock.withLock {
            guard live.remove(pointer) != nil else { return nil }
            return Unmanaged<TierHandle>.fromOpaque(pointer).takeRetainedValue()
        }
    }
}

/// The C `spw_error`: a code and a 508-byte message buffer.
private let messageCapacity = 508

private func report(
    _ error: UnsafeMutableRawPointer?, _ code: OffloadTierError.Code, _ message: String
) -> Int32 {
    let status = -code.rawValue
    guard let error else { return status }
    error.storeBytes(of: status, as: Int32.self)
    let text = error + 4
    var utf8 = fitted(message, byteCount: messageCapacity - 1)
    utf8.append(0)
    text.copyMemory(from: utf8, byteCount: utf8.count)
    return status
}

/// `message` in at most `byteCount` UTF-8 bytes: a longer one loses its middle, not its end
/// (messages say what failed first and what differs and what to do last, such as a striped
/// tier's "directory 2: created ..., given ..." after both lists of long paths), cut at
/// character boundaries.
private func fitted(_ message: String, byteCount: Int) -> [UInt8] {
    let bytes = Array(message.utf8)
    guard bytes.count > byteCount else { return bytes }
    let marker = Array(" [...] ".utf8)
    let headCount = (byteCount - marker.count) / 3
    var headEnd = headCount
    while headEnd > 0, bytes[headEnd] & 0xC0 == 0x80 { headEnd -= 1 }
    var tailStart = bytes.count - (byteCount - marker.count - headCount)
    while tailStart < bytes.count, bytes[tailStart] & 0xC0 == 0x80 { tailStart += 1 }
    return Array(bytes[..<headEnd]) + marker + Array(bytes[tailStart...])
}

private func clear(_ error: UnsafeMutableRawPointer?) -> Int32 {
    if let error {
        error.storeBytes(of: Int32(0), as: Int32.self)
        (error + 4).storeBytes(of: UInt8(0), as: UInt8.self)
    }
    return 0
}

private func fail(_ error: UnsafeMutableRawPointer?, _ thrown: Error) -> Int32 {
    if let tierError = thrown as? OffloadTierError {
        return report(error, tierError.code, tierError.message)
    }
    return report(error, .ioFailed, "\(thrown)")
}

private func unknownHandle(_ error: UnsafeMutableRawPointer?) -> Int32 {
    report(error, .invalidArgument, "not an open tier handle (NULL, freed, or never opened)")
}

@_cdecl("spw_abi_version")
public func spwABIVersion() -> UInt32 { abiVersion }

@_cdecl("spw_tier_open")
public func spwTierOpen(
    _ directory: UnsafePointer<CChar>?, _ options: UnsafeRawPointer?,
    _ base: UnsafeMutableRawPointer?, _ rowStride: UInt64, _ rowCount: UInt64,
    _ tierOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let directory, let tierOut, let base else {
        return report(errorOut, .invalidArgument, "directory, base and tier_out must not be NULL")
    }
    tierOut.pointee = nil
    guard rowStride <= UInt64(Int.max), rowCount <= UInt64(Int.max) else {
        return report(errorOut, .invalidArgument, "row stride or row count out of range")
    }
    var configuration = OffloadTierConfiguration(
        directory: String(cString: directory), capacityBytes: nil)
    if let options {
        let status = readOptions(options, into: &configuration, errorOut)
        guard status == 0 else { return status }
    }
    do {
        let memory = try RowMemory(base: base, rowStride: Int(rowStride), rowCount: Int(rowCount))
        let tier = try OffloadTier.open(configuration, memory: memory)
        tierOut.pointee = registry.insert(TierHandle(tier))
        return clear(errorOut)
    } catch let thrown {
        return fail(errorOut, thrown)
    }
}

/// Reads a `spw_tier_options` of ABI 1 (40 bytes) or 2 (56 bytes) into `configuration`;
/// 0, or the status of the error it reported.
private func readOptions(
    _ options: UnsafeRawPointer, into configuration: inout OffloadTierConfiguration,
    _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    let size = options.load(fromByteOffset: 0, as: UInt32.self)
    guard size == tierOptionsSizeV1 || size == tierOptionsSizeV2 else {
        return report(
            errorOut, .invalidArgument,
            "options.struct_size \(size) is neither \(tierOptionsSizeV2) (spw_tier_options of ABI 2) nor \(tierOptionsSizeV1) (ABI 1): set it to sizeof(spw_tier_options)")
    }
    let codec = options.load(fromByteOffset: 4, as: UInt32.self)
    let direct = options.load(fromByteOffset: 8, as: UInt32.self)
    let depth = options.load(fromByteOffset: 12, as: UInt32.self)
    let capacity = options.load(fromByteOffset: 16, as: UInt64.self)
    let interval = options.load(fromByteOffset: 24, as: UInt64.self)
    let threshold = options.load(fromByteOffset: 32, as: Double.self)
    guard codec <= 2, let diskCodec = DiskCodec(rawValue: UInt8(codec)) else {
        return report(errorOut, .invalidArgument, "codec \(codec) is not 0 (none), 1 (lz4) or 2 (lz4-shuffle)")
    }
    let modes: [DirectIOMode] = [.auto, .required, .off]
    guard direct < 3 else {
        return report(errorOut, .invalidArgument, "direct_io \(direct) is not 0 (auto), 1 (required) or 2 (off)")
    }
    guard capacity <= UInt64(Int.max), interval <= UInt64(Int.max) else {
        return report(errorOut, .invalidArgument, "capacity_bytes or sync_interval_blocks out of range")
    }
    configuration.codec = diskCodec
    configuration.directIO = modes[Int(direct)]
    configuration.queueDepth = depth == 0 ? 64 : Int(depth)
    configuration.capacityBytes = capacity == 0 ? nil : Int(capacity)
    configuration.syncIntervalBlocks = Int(interval)
    configuration.compressionThreshold = threshold == 0 ? 0.9 : threshold
    guard size == tierOptionsSizeV2 else { return 0 }
    // ABI 2: const char *const *extra_directories at 40, uint32_t extra_directory_count
    // at 48, uint32_t reserved at 52.
    let list = options.load(
        fromByteOffset: 40, as: UnsafePointer<UnsafePointer<CChar>?>?.self)
    let count = options.load(fromByteOffset: 48, as: UInt32.self)
    let reserved = options.load(fromByteOffset: 52, as: UInt32.self)
    guard reserved == 0 else {
        return report(
            errorOut, .invalidArgument,
            "options.reserved is \(reserved): it must be 0 (zero the whole spw_tier_options)")
    }
    guard count < UInt32(DiskLayout.dataFileCountMax) else {
        return report(
            errorOut, .invalidArgument,
            "extra_directory_count \(count) is over \(DiskLayout.dataFileCountMax - 1): a tier stripes over at most \(DiskLayout.dataFileCountMax) directories, the home included")
    }
    guard count == 0 || list != nil else {
        return report(
            errorOut, .invalidArgument,
            "extra_directories is NULL but extra_directory_count is \(count)")
    }
    for index in 0..<Int(count) {
        guard let path = list![index] else {
            return report(
                errorOut, .invalidArgument,
                "extra_directories[\(index)] is NULL (extra_directory_count is \(count))")
        }
        configuration.extraDirectories.append(String(cString: path))
    }
    return 0
}

/// Decodes the flat key array; nil with the error reported when a key is malformed.
private func decodeKeys(
    _ keyBytes: UnsafePointer<UInt8>?, _ keyLengths: UnsafePointer<UInt32>?, _ count: Int,
    _ errorOut: UnsafeMutableRawPointer?, status: inout Int32
) -> [BlockKey]? {
    guard count == 0 || (keyBytes != nil && keyLengths != nil) else {
        status = report(errorOut, .invalidArgument, "key_bytes and key_lengths must not be NULL")
        return nil
    }
    var keys: [BlockKey] = []
    keys.reserveCapacity(count)
    var offset = 0
    for index in 0..<count {
        let length = Int(keyLengths![index])
        guard (1...BlockKey.maxByteCount).contains(length),
            let key = BlockKey(bytes: UnsafeBufferPointer(start: keyBytes! + offset, count: length))
        else {
            status = report(
                errorOut, .invalidArgument,
                "key \(index) is \(length) bytes; keys are 1...\(BlockKey.maxByteCount) bytes")
            return nil
        }
        keys.append(key)
        offset += length
    }
    return keys
}

@_cdecl("spw_tier_lookup")
public func spwTierLookup(
    _ handle: UnsafeMutableRawPointer?, _ key: UnsafePointer<UInt8>?, _ keyLength: UInt32,
    _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    var length = keyLength
    var status: Int32 = 0
    guard let keys = decodeKeys(key, &length, 1, errorOut, status: &status) else { return status }
    _ = clear(errorOut)
    return tier.lookup(keys[0]).rawValue
}

@_cdecl("spw_tier_submit")
public func spwTierSubmit(
    _ handle: UnsafeMutableRawPointer?, _ jobID: UInt64, _ kind: Int32,
    _ keyBytes: UnsafePointer<UInt8>?, _ keyLengths: UnsafePointer<UInt32>?,
    _ rows: UnsafePointer<Int64>?, _ count: UInt64, _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    guard kind == 0 || kind == 1 else {
        return report(errorOut, .invalidArgument, "kind \(kind) is not 0 (store) or 1 (load)")
    }
    guard count <= 1 << 24 else {
        return report(errorOut, .invalidArgument, "\(count) keys in one job is over 16M")
    }
    guard count == 0 || rows != nil else {
        return report(errorOut, .invalidArgument, "rows must not be NULL")
    }
    var status: Int32 = 0
    guard let keys = decodeKeys(keyBytes, keyLengths, Int(count), errorOut, status: &status) else {
        return status
    }
    var rowIndices: [Int] = []
    rowIndices.reserveCapacity(Int(count))
    for index in 0..<Int(count) {
        let row = rows![index]
        guard row >= 0, row <= Int64(Int.max) else {
            return report(errorOut, .invalidArgument, "row \(row) of key \(index) is negative")
        }
        rowIndices.append(Int(row))
    }
    do {
        try tier.submit(
            OffloadJob(id: jobID, kind: kind == 0 ? .store : .load, keys: keys, rows: rowIndices))
        return clear(errorOut)
    } catch let thrown {
        return fail(errorOut, thrown)
    }
}

@_cdecl("spw_tier_poll")
public func spwTierPoll(
    _ handle: UnsafeMutableRawPointer?, _ results: UnsafeMutableRawPointer?,
    _ resultCapacity: UInt64, _ keySuccess: UnsafeMutablePointer<UInt8>?,
    _ keySuccessCapacity: UInt64, _ resultCountOut: UnsafeMutablePointer<UInt64>?,
    _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    guard let resultCountOut, resultCapacity == 0 || results != nil,
        keySuccessCapacity == 0 || keySuccess != nil
    else {
        return report(
            errorOut, .invalidArgument,
            "result_count_out must not be NULL, nor results / key_success with a capacity")
    }
    let taken = tier.poll(
        resultLimit: Int(min(resultCapacity, UInt64(Int.max))),
        keyLimit: Int(min(keySuccessCapacity, UInt64(Int.max))))
    var keyOffset = 0
    for (index, result) in taken.enumerated() {
        // struct spw_job_result: u64 job_id, i32 kind, i32 success, u64 key_count,
        // u64 succeeded_count, u64 bytes, u64 transfer_ns (48 bytes).
        let entry = results! + index * 48
        entry.storeBytes(of: result.id, toByteOffset: 0, as: UInt64.self)
        entry.storeBytes(of: result.kind == .store ? 0 : 1, toByteOffset: 8, as: Int32.self)
        entry.storeBytes(of: result.isSuccess ? 1 : 0, toByteOffset: 12, as: Int32.self)
        entry.storeBytes(
            of: UInt64(result.keySucceeded.count), toByteOffset: 16, as: UInt64.self)
        entry.storeBytes(
            of: UInt64(result.keySucceeded.lazy.filter { $0 }.count), toByteOffset: 24,
            as: UInt64.self)
        entry.storeBytes(of: UInt64(result.byteCount), toByteOffset: 32, as: UInt64.self)
        entry.storeBytes(of: result.transferNanoseconds, toByteOffset: 40, as: UInt64.self)
        for succeeded in result.keySucceeded {
            keySuccess![keyOffset] = succeeded ? 1 : 0
            keyOffset += 1
        }
    }
    resultCountOut.pointee = UInt64(taken.count)
    return clear(errorOut)
}

@_cdecl("spw_tier_pending")
public func spwTierPending(
    _ handle: UnsafeMutableRawPointer?, _ runningOut: UnsafeMutablePointer<UInt64>?,
    _ unpolledOut: UnsafeMutablePointer<UInt64>?, _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    runningOut?.pointee = UInt64(tier.runningJobCount)
    unpolledOut?.pointee = UInt64(tier.unreportedJobCount)
    return clear(errorOut)
}

@_cdecl("spw_tier_drain")
public func spwTierDrain(_ handle: UnsafeMutableRawPointer?, _ errorOut: UnsafeMutableRawPointer?)
    -> Int32
{
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    tier.drain()
    return clear(errorOut)
}

@_cdecl("spw_tier_sync")
public func spwTierSync(_ handle: UnsafeMutableRawPointer?, _ errorOut: UnsafeMutableRawPointer?)
    -> Int32
{
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    do {
        try tier.sync()
        return clear(errorOut)
    } catch let thrown {
        return fail(errorOut, thrown)
    }
}

@_cdecl("spw_tier_get_stats")
public func spwTierGetStats(
    _ handle: UnsafeMutableRawPointer?, _ statsOut: UnsafeMutablePointer<UInt64>?,
    _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    guard let statsOut else { return report(errorOut, .invalidArgument, "stats_out must not be NULL") }
    let stats = tier.stats()
    // The field order of struct spw_tier_stats.
    let fields: [Int] = [
        stats.lookupHits, stats.lookupMisses, stats.lookupPending,
        stats.blocksStored, stats.blocksStoreSkipped, stats.blocksStoreFailed,
        stats.blocksLoaded, stats.blocksLoadFailed, stats.blocksCorrupt, stats.blocksEvicted,
        stats.bytesWritten, stats.bytesRead, stats.jobsStore, stats.jobsLoad, stats.syncs,
        stats.blocksHeld, stats.bytesUsed, stats.capacityBytes, stats.usesDirectIO ? 1 : 0,
        stats.blocksZeroCopyStored, stats.blocksZeroCopyLoaded,
        stats.blocksCompressed, stats.blocksStoredRawBackpressure,
        stats.bytesGivenUpBackpressure, stats.blocksStoredRawIncompressible,
    ]
    for (index, value) in fields.enumerated() { statsOut[index] = UInt64(value) }
    return clear(errorOut)
}

@_cdecl("spw_tier_set_removal_events")
public func spwTierSetRemovalEvents(
    _ handle: UnsafeMutableRawPointer?, _ enabled: Int32, _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    tier.recordsRemovedKeys = enabled != 0
    return clear(errorOut)
}

@_cdecl("spw_tier_take_removed")
public func spwTierTakeRemoved(
    _ handle: UnsafeMutableRawPointer?, _ keyBytes: UnsafeMutablePointer<UInt8>?,
    _ keyLengths: UnsafeMutablePointer<UInt32>?, _ keyCapacity: UInt64,
    _ countOut: UnsafeMutablePointer<UInt64>?, _ errorOut: UnsafeMutableRawPointer?
) -> Int32 {
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    guard let countOut, keyCapacity == 0 || (keyBytes != nil && keyLengths != nil) else {
        return report(
            errorOut, .invalidArgument,
            "count_out must not be NULL, nor key_bytes / key_lengths with a capacity")
    }
    let keys = tier.takeRemovedKeys(limit: Int(min(keyCapacity, UInt64(Int.max))))
    for (index, key) in keys.enumerated() {
        key.withUnsafeBytes { bytes in
            (keyBytes! + index * BlockKey.maxByteCount).update(
                from: bytes.bindMemory(to: UInt8.self).baseAddress!, count: bytes.count)
        }
        keyLengths![index] = UInt32(key.count)
    }
    countOut.pointee = UInt64(keys.count)
    return clear(errorOut)
}

@_cdecl("spw_tier_close")
public func spwTierClose(_ handle: UnsafeMutableRawPointer?, _ errorOut: UnsafeMutableRawPointer?)
    -> Int32
{
    guard let tier = registry.lookup(handle)?.tier else { return unknownHandle(errorOut) }
    do {
        try tier.close()
        return clear(errorOut)
    } catch let thrown {
        return fail(errorOut, thrown)
    }
}

@_cdecl("spw_tier_free")
public func spwTierFree(_ handle: UnsafeMutableRawPointer?) {
    guard let owner = registry.remove(handle) else { return }
    try? owner.tier.close()
}
