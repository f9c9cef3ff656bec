// The raw-backend disk benchmark (`spillway bench disk --layer io`): sequential writes then
// random reads of whole blocks straight through an IOBackend, at a fixed queue depth, the
// same pattern fio runs, so the two can be compared as a ratio.
import Spillway
import SpillwayCore
import SpillwaySystem

/// Settings of one disk benchmark run (shared by every layer).
package struct DiskBenchmarkOptions: Sendable {
    /// Directory for the benchmark file (created 0700 if missing).
    package var directory: String
    package var blockBytes: Int
    package var queueDepth: Int
    /// Bytes to write, then to read; a multiple of `blockBytes`.
    package var totalBytes: UInt64
    package var directIO: DirectIOMode
    /// Register the in-flight buffers with the kernel (fixed-buffer I/O) when it allows.
    package var registeredBuffers: Bool
    /// Seed of the random read order.
    package var seed: UInt64
    /// Leave the benchmark file behind (default: removed at the end).
    package var keepFile: Bool
    /// Memory for the in-flight buffers (one block each): the queue depth used is capped to
    /// fit (`DiskTierOptions.stagingBytesMax` for the tier layer).
    package var bufferBytesMax = DiskTierOptions.defaultStagingBytesMax
    /// Layer tier only: more directories (one per device) the tier stripes over beside
    /// `directory` (its home).
    package var extraDirectories: [String] = []

    package init(
        directory: String, blockBytes: Int, queueDepth: Int, totalBytes: UInt64,
        directIO: DirectIOMode = .required, registeredBuffers: Bool = true, seed: UInt64 = 1,
        keepFile: Bool = false
    ) {
        self.directory = directory
        self.blockBytes = blockBytes
        self.queueDepth = queueDepth
        self.totalBytes = totalBytes
        self.directIO = directIO
        self.registeredBuffers = registeredBuffers
        self.seed = seed
        self.keepFile = keepFile
    }

    /// Checks the settings; returns a message saying what to change, or nil.
    package func problem(alignment: Int = 4096) -> String? {
        if directory.isEmpty {
            return "--disk-dir is empty: give the directory to benchmark (e.g. --disk-dir /var/tmp)"
        }
        if blockBytes <= 0 || blockBytes % alignment != 0 || blockBytes > 1 << 30 {
            return
                "--block-bytes \(blockBytes) must be a positive multiple of \(alignment) up to 1 GiB"
        }
        if !(1...4096).contains(queueDepth) {
            return "--queue-depth \(queueDepth) must be in 1...4096"
        }
        if totalBytes < UInt64(blockBytes) || totalBytes % UInt64(blockBytes) != 0 {
            return
                "--bytes \(totalBytes) must be a positive multiple of --block-bytes \(blockBytes)"
        }
        if blockBytes > bufferBytesMax {
            return
                "--block-bytes \(blockBytes) is above the buffer budget of \(bufferBytesMax) bytes: lower --block-bytes"
        }
        return nil
    }

    /// In-flight requests: the queue depth, capped so their buffers fit `bufferBytesMax`.
    package var boundedDepth: Int { max(1, min(queueDepth, bufferBytesMax / max(1, blockBytes))) }
}

/// A failure during a benchmark: a request that did not move its bytes, or read back the
/// wrong block.
package struct DiskBenchmarkError: Error, CustomStringConvertible {
    package var description: String
}

/// Sequential-write then random-read benchmark straight over an I/O backend.
package enum RawIOBenchmark {
    /// Name of the file the benchmark writes in `options.directory`.
    package static let fileName = "spillway-bench-disk.dat"

    /// Opens a URingIO on `options.directory` and measures it.
    package static func run(_ options: DiskBenchmarkOptions) throws -> DiskBenchmarkReport {
        if let problem = options.problem() { throw DiskBenchmarkError(description: problem) }
        let backend = try URingIO(
            directory: options.directory, queueDepth: options.queueDepth,
            directIO: options.directIO)
        return try measure(backend, options: options, directIO: backend.usesDirectIO)
    }

    /// Measures `backend`: fallocate the file, write every block in order at queue depth
    /// `options.queueDepth`, fdatasync, then read every block once in a seeded random order.
    /// Each block carries its index in its first 8 bytes and every read checks it, so a
    /// wrong block fails the run instead of being counted as throughput.
    package static func measure<Backend: IOBackend>(
        _ backend: Backend, options: DiskBenchmarkOptions, directIO: Bool
    ) throws -> DiskBenchmarkReport {
        precondition(options.problem(alignment: max(backend.requiredAlignment, 8)) == nil)
        let depth = min(options.boundedDepth, backend.queueDepth)
        let blockBytes = options.blockBytes
        let blockCount = Int(options.totalBytes / UInt64(blockBytes))
        let alignment = max(backend.requiredAlignment, 4096)

        // One buffer per queue slot, filled with non-zero data once (a block of zeros could
        // let a smart device or file system skip work).
        let arena = UnsafeMutableRawPointer.allocate(
            byteCount: depth * blockBytes, alignment: alignment)
        defer { arena.deallocate() }
        var generator = BenchmarkRandom(seed: options.seed ^ 0xDA7A)
        for word in 0..<(depth * blockBytes / 8) {
            arena.storeBytes(of: generator.next(), toByteOffset: word * 8, as: UInt64.self)
        }
        let slots = (0..<depth).map { arena + $0 * blockBytes }
        var registered = false
        if options.registeredBuffers {
            registered = backend.registerBuffers(
                slots.map { UnsafeMutableRawBufferPointer(start: $0, count: blockBytes) })
        }
        defer { if registered { _ = backend.registerBuffers([]) } }

        try backend.removeFile(fileName)
        let file = try backend.openFile(
            fileName, options: IOFileOptions(create: true, exclusive: true))
        defer {
            backend.closeFile(file)
            if !options.keepFile { try? backend.removeFile(fileName) }
        }
        try backend.reserve(file, size: options.totalBytes)

        var phase = Phase(
            backend: backend, file: file, slots: slots, blockBytes: blockBytes,
            registered: registered)
        let writeOrder = Array(0..<blockCount)
        var writeLatencies = try phase.run(.write, order: writeOrder)

        var completions: [IOCompletion] = []
        let syncStart = MonotonicClock.nanoseconds()
        precondition(backend.prepare(.sync(file, userData: UInt64.max)))
        try backend.submit()
        try backend.reap(into: &completions, minimum: 1)
        let syncNanoseconds = MonotonicClock.nanoseconds() - syncStart
        guard completions.count == 1, completions[0].result == 0 else {
            throw DiskBenchmarkError(
                description: "fdatasync of \(fileName) failed: \(completions.first?.result ?? 0)")
        }

        var readOrder = writeOrder
        var shuffler = BenchmarkRandom(seed: options.seed)
        for index in stride(from: blockCount - 1, to: 0, by: -1) {
            readOrder.swapAt(index, Int(shuffler.next() % UInt64(index + 1)))
        }
        var readLatencies = try phase.run(.read, order: readOrder)

        return DiskBenchmarkReport(
            layer: "io", directory: options.directory, blockBytes: blockBytes, queueDepth: depth,
            totalBytes: options.totalBytes, blockCount: blockCount, directIO: directIO,
            registeredBuffers: registered, writeNanoseconds: phase.elapsed[.write] ?? 0,
            syncNanoseconds: syncNanoseconds, readNanoseconds: phase.elapsed[.read] ?? 0,
            writeLatency: ExactLatencyPercentiles(sorting: &writeLatencies),
            readLatency: ExactLatencyPercentiles(sorting: &readLatencies))
    }

    /// The queue-depth loop both phases share: keep every slot busy, submit refills as one
    /// batch, reap whatever has completed (at least one).
    struct Phase<Backend: IOBackend> {
        let backend: Backend
        let file: IOFileID
        let slots: [UnsafeMutableRawPointer]
        let blockBytes: Int
        let registered: Bool
        var elapsed: [IORequest.Kind: UInt64] = [:]

        mutating func run(_ kind: IORequest.Kind, order: [Int]) throws -> [UInt64] {
            var latencies: [UInt64] = []
            latencies.reserveCapacity(order.count)
            var freeSlots = Array((0..<slots.count).reversed())
            var startTimes = [UInt64](repeating: 0, count: slots.count)
            var slotBlocks = [Int](repeating: -1, count: slots.count)
            var justPrepared: [Int] = []
            justPrepared.reserveCapacity(slots.count)
            var completions: [IOCompletion] = []
            completions.reserveCapacity(slots.count)
            var next = 0
            var done = 0
            let start = MonotonicClock.nanoseconds()
            while done < order.count {
                justPrepared.removeAll(keepingCapacity: true)
                while next < order.count, let slot = freeSlots.last {
                    let block = order[next]
                    if kind == .write {
                        slots[slot].storeBytes(of: UInt64(block), as: UInt64.self)
                    }
                    let request = IORequest(
                        kind: kind, file: file, offset: UInt64(block) * UInt64(blockBytes),
                        buffer: slots[slot], length: blockBytes,
                        registeredBufferIndex: registered ? Int32(slot) : -1,
                        userData: UInt64(slot))
                    if !backend.prepare(request) { break }
                    freeSlots.removeLast()
                    slotBlocks[slot] = block
                    justPrepared.append(slot)
                    next += 1
                }
                if !justPrepared.isEmpty {
                    let issued = MonotonicClock.nanoseconds()
                    for slot in justPrepared { startTimes[slot] = issued }
                    try backend.submit()
                }
                completions.removeAll(keepingCapacity: true)
                try backend.reap(into: &completions, minimum: 1)
                let now = MonotonicClock.nanoseconds()
                for completion in completions {
                    let slot = Int(completion.userData)
                    let block = slotBlocks[slot]
                    guard Int(completion.result) == blockBytes else {
                        throw DiskBenchmarkError(
                            description: "\(kind) of block \(block) (\(blockBytes) bytes) returned "
                                + "\(completion.result)")
                    }
                    if kind == .read {
                        let stamp = slots[slot].load(as: UInt64.self)
                        guard stamp == UInt64(block) else {
                            throw DiskBenchmarkError(
                                description: "read of block \(block) returned block \(stamp)")
                        }
                    }
                    latencies.append(now - startTimes[slot])
                    freeSlots.append(slot)
                    done += 1
                }
            }
            elapsed[kind] = MonotonicClock.nanoseconds() - start
            return latencies
        }
    }
}

/// SplitMix64 for the benchmark's data and read order.
struct BenchmarkRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
