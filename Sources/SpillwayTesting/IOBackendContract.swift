// The IOBackend contract as reusable checks: every backend (io_uring, simulated) runs the
// same ones, so the disk tier can rely on one behaviour whatever moves its bytes.
import SpillwayCore

/// Backend-agnostic checks of the `IOBackend` contract.
///
/// Each check takes a directory name and a factory. The factory is called with that
/// directory (once, or twice for `reopenSeesData`, which drops the first backend before
/// making the second and expects it to see the data synced by the first); the directory is
/// fresh (no files). A simulated backend must be configured without faults. A check throws
/// `IOBackendContract.Violation` naming what broke, or any error the backend threw.
///
/// Example (Swift Testing):
/// ```
/// @Test(arguments: IOBackendContract.Check.allCases)
/// func contract(_ check: IOBackendContract.Check) throws {
///     try IOBackendContract.run(check, directory: freshDirectory()) { try URingIO(directory: $0) }
/// }
/// ```
package enum IOBackendContract {
    package typealias Factory = (String) throws -> any IOBackend

    /// A broken promise of the contract.
    package struct Violation: Error, CustomStringConvertible {
        package var check: Check
        package var message: String
        package var description: String { "IOBackend contract, \(check.rawValue): \(message)" }
    }

    /// The individual checks.
    package enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Writes then reads back several sizes at several offsets (unaligned ones too when
        /// `requiredAlignment == 1`).
        case roundTrip
        /// Hundreds of requests through the queue: each completes exactly once, by userData.
        case batchCompletesOnce
        /// `prepare` returns false at `queueDepth` outstanding and queues nothing.
        case queueFull
        /// `.sync` completes with 0, on an empty and on a written file.
        case sync
        /// Reads of never-written ranges inside the file size return zeros.
        case unwrittenReadsZero
        /// A read crossing end of file reports the short count; a read at EOF reports 0.
        case shortReadAtEOF
        /// listFiles / removeFile / exclusive and missing opens.
        case listAndRemove
        /// A second backend on the same directory sees what the first synced.
        case reopenSeesData
        /// Fixed-buffer I/O round trip when `registerBuffers` accepts the buffers (SimulatedIO
        /// always does; io_uring may refuse, e.g. over RLIMIT_MEMLOCK).
        case registeredBuffers

        package var description: String { rawValue }
    }

    /// Runs every check, each in its own subdirectory `directory/<check>`.
    package static func runAll(directory: String, makeBackend: Factory) throws {
        for check in Check.allCases {
            try run(check, directory: directory + "/" + check.rawValue, makeBackend: makeBackend)
        }
    }

    /// Runs one check in `directory` (fresh, no files).
    package static func run(_ check: Check, directory: String, makeBackend: Factory) throws {
        // A check that fails part-way leaves requests in flight; the backend waits for them
        // when it is released, so the buffers they target must outlive it: the pool is
        // released only after `runReleasingBackend` has returned and dropped the backend.
        let pool = BufferPool()
        defer { withExtendedLifetime(pool) {} }
        try runReleasingBackend(check, directory: directory, makeBackend: makeBackend, pool: pool)
    }

    private static func runReleasingBackend(
        _ check: Check, directory: String, makeBackend: Factory, pool: BufferPool
    ) throws {
        var context = Context(check: check, pool: pool)
        switch check {
        case .roundTrip: try context.roundTrip(try makeBackend(directory))
        case .batchCompletesOnce: try context.batchCompletesOnce(try makeBackend(directory))
        case .queueFull: try context.queueFull(try makeBackend(directory))
        case .sync: try context.sync(try makeBackend(directory))
        case .unwrittenReadsZero: try context.unwrittenReadsZero(try makeBackend(directory))
        case .shortReadAtEOF: try context.shortReadAtEOF(try makeBackend(directory))
        case .listAndRemove: try context.listAndRemove(try makeBackend(directory))
        case .reopenSeesData: try context.reopenSeesData(directory: directory, makeBackend)
        case .registeredBuffers: try context.registeredBuffers(try makeBackend(directory))
        }
    }

    /// Runs `requests` to completion through `backend`, keeping its queue as full as it
    /// allows, and checks every one completes exactly once and nothing else completes.
    ///
    /// - Returns: result per userData.
    package static func execute(_ backend: any IOBackend, _ requests: [IORequest], check: Check)
        throws -> [UInt64: Int32]
    {
        let context = Context(check: check, pool: BufferPool())
        return try context.execute(backend, requests)
    }
}

extension IOBackendContract {
    /// One check's state: its name for messages and a userData counter.
    /// Keeps a check's buffers alive until its backend is gone.
    final class BufferPool {
        var buffers: [IOTestBuffer] = []
    }

    struct Context {
        let check: Check
        let pool: BufferPool
        var nextUserData: UInt64 = 0x5EED_0000_0000_0000

        init(check: Check, pool: BufferPool) {
            self.check = check
            self.pool = pool
        }

        /// A buffer that lives as long as the check's pool (see `run`).
        func keptBuffer(byteCount: Int, fill: UInt8 = 0) -> IOTestBuffer {
            let buffer = IOTestBuffer(byteCount: byteCount, fill: fill)
            pool.buffers.append(buffer)
            return buffer
        }

        func violation(_ message: String) -> Violation { Violation(check: check, message: message) }

        func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw violation(message()) }
        }

        /// Unit of size and offset: the backend's alignment, at least 4 KiB.
        func unit(_ backend: any IOBackend) -> Int { max(backend.requiredAlignment, 4096) }

        mutating func userData() -> UInt64 {
            // Spread values over the whole 64-bit range: backends must not assume small ones.
            nextUserData &+= 0x9E37_79B9_7F4A_7C15
            return nextUserData
        }

        mutating func request(
            _ kind: IORequest.Kind, _ file: IOFileID, offset: Int, buffer: UnsafeMutableRawPointer?,
            length: Int, registeredBufferIndex: Int32 = -1
        ) -> IORequest {
            IORequest(
                kind: kind, file: file, offset: UInt64(offset), buffer: buffer, length: length,
                registeredBufferIndex: registeredBufferIndex, userData: userData())
        }

        func execute(_ backend: any IOBackend, _ requests: [IORequest]) throws -> [UInt64: Int32] {
            let expected = Set(requests.map(\.userData))
            precondition(expected.count == requests.count, "duplicate userData in a check")
            var results: [UInt64: Int32] = [:]
            var completions: [IOCompletion] = []
            var next = 0
            var inFlight = 0
            while results.count < requests.count {
                var prepared = 0
                while next < requests.count && backend.prepare(requests[next]) {
                    next += 1
                    prepared += 1
                }
                if prepared > 0 {
                    let submitted = try backend.submit()
                    try expect(
                        submitted == prepared,
                        "submit() returned \(submitted) for \(prepared) prepared")
                    inFlight += submitted
                }
                try expect(
                    inFlight > 0,
                    "prepare refused a request with nothing in flight (queueDepth \(backend.queueDepth))"
                )
                completions.removeAll(keepingCapacity: true)
                let reaped = try backend.reap(into: &completions, minimum: 1)
                try expect(
                    reaped == completions.count && reaped >= 1,
                    "reap(minimum: 1) returned \(reaped) and appended \(completions.count)")
                for completion in completions {
                    try expect(
                        expected.contains(completion.userData),
                        "completion for unknown userData \(completion.userData)")
                    try expect(
                        results[completion.userData] == nil,
                        "userData \(completion.userData) completed twice")
                    results[completion.userData] = completion.result
                }
                inFlight -= reaped
            }
            completions.removeAll()
            let extra = try backend.reap(into: &completions, minimum: 0)
            try expect(
                extra == 0 && completions.isEmpty, "\(extra) completions beyond the requests")
            return results
        }

        /// Executes and checks every request transferred exactly its length (sync: 0).
        func executeFully(_ backend: any IOBackend, _ requests: [IORequest], _ what: String) throws
        {
            let results = try execute(backend, requests)
            for request in requests {
                let want = request.kind == .sync ? 0 : request.length
                let got = results[request.userData]!
                try expect(
                    Int(got) == want,
                    "\(what): \(request.kind) of \(request.length) bytes at \(request.offset) "
                        + "returned \(got), expected \(want)")
            }
        }

        // MARK: Checks

        mutating func roundTrip(_ backend: any IOBackend) throws {
            let unit = unit(backend)
            let file = try backend.openFile("round-trip", options: IOFileOptions(create: true))
            var cases: [(offset: Int, length: Int)] = []
            // Each case gets its own 4 MiB slot so none overlap.
            let slot = 4 << 20
            for (index, length) in [unit, 2 * unit, 3 * unit, 16 * unit, 256 << 10, 1 << 20]
                .enumerated()
            {
                cases.append((offset: index * slot + (index % 3) * unit, length: length))
            }
            if backend.requiredAlignment == 1 {
                for (index, (offset, length)) in [(1, 1), (4097, 100), (12_345, 5_000)].enumerated()
                {
                    cases.append((offset: (cases.count + index) * slot + offset, length: length))
                }
            }
            let sources = cases.enumerated().map { index, item -> IOTestBuffer in
                let buffer = keptBuffer(byteCount: item.length)
                buffer.fillPattern(seed: UInt64(index + 1))
                return buffer
            }
            let sinks = cases.map { keptBuffer(byteCount: $0.length, fill: 0xA5) }
            var writes: [IORequest] = []
            var reads: [IORequest] = []
            for index in cases.indices {
                writes.append(
                    request(
                        .write, file, offset: cases[index].offset, buffer: sources[index].pointer,
                        length: cases[index].length))
                reads.append(
                    request(
                        .read, file, offset: cases[index].offset, buffer: sinks[index].pointer,
                        length: cases[index].length))
            }
            try executeFully(backend, writes, "write")
            try executeFully(backend, reads, "read")
            for index in cases.indices {
                try expect(
                    sinks[index].matches(sources[index], count: cases[index].length),
                    "bytes read at \(cases[index].offset) (\(cases[index].length)) differ from written"
                )
            }
            let size = try backend.fileSize(file)
            let end = cases.map { $0.offset + $0.length }.max()!
            try expect(size == UInt64(end), "file size \(size) after writes ending at \(end)")
            backend.closeFile(file)
        }

        mutating func batchCompletesOnce(_ backend: any IOBackend) throws {
            let unit = unit(backend)
            let blockCount = max(300, 3 * backend.queueDepth)
            let file = try backend.openFile("batch", options: IOFileOptions(create: true))
            let source = keptBuffer(byteCount: blockCount * unit)
            source.fillPattern(seed: 0xBA7C)
            // Write the blocks in a shuffled order so completions can come back in any order.
            var order = Array(0..<blockCount)
            var state: UInt64 = 42
            for index in stride(from: blockCount - 1, to: 0, by: -1) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                order.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
            }
            let writes = order.map {
                request(
                    .write, file, offset: $0 * unit, buffer: source.pointer + $0 * unit,
                    length: unit)
            }
            try executeFully(backend, writes, "batched write")
            let sink = keptBuffer(byteCount: blockCount * unit)
            let reads = order.reversed().map {
                request(
                    .read, file, offset: $0 * unit, buffer: sink.pointer + $0 * unit, length: unit)
            }
            try executeFully(backend, reads, "batched read")
            for block in 0..<blockCount {
                try expect(
                    sink.matches(
                        source, offset: block * unit, otherOffset: block * unit, count: unit),
                    "block \(block) read back differs from written")
            }
            backend.closeFile(file)
        }

        mutating func queueFull(_ backend: any IOBackend) throws {
            let unit = unit(backend)
            let depth = backend.queueDepth
            try expect(depth >= 1, "queueDepth \(depth) < 1")
            let file = try backend.openFile("queue", options: IOFileOptions(create: true))
            try backend.reserve(file, size: UInt64(unit * (depth + 1)))
            let sink = keptBuffer(byteCount: unit * (depth + 1))
            var accepted = 0
            for index in 0..<depth {
                let read = request(
                    .read, file, offset: index * unit, buffer: sink.pointer + index * unit,
                    length: unit)
                try expect(
                    backend.prepare(read), "prepare refused request \(index) of queueDepth \(depth)"
                )
                accepted += 1
            }
            let overflow = request(
                .read, file, offset: depth * unit, buffer: sink.pointer + depth * unit, length: unit
            )
            try expect(
                !backend.prepare(overflow),
                "prepare accepted request \(depth + 1) with queueDepth \(depth)")
            let submitted = try backend.submit()
            try expect(
                submitted == depth,
                "submit() returned \(submitted), expected \(depth) (the refused one must not be queued)"
            )
            try expect(
                !backend.prepare(overflow),
                "prepare accepted a request while \(depth) are submitted and unreaped")
            var completions: [IOCompletion] = []
            let first = try backend.reap(into: &completions, minimum: 1)
            try expect(first >= 1, "reap(minimum: 1) returned \(first)")
            try expect(
                backend.prepare(overflow), "prepare refused a request after \(first) were reaped")
            try expect(try backend.submit() == 1, "submit() of the one re-prepared request")
            while completions.count < depth + 1 {
                try backend.reap(into: &completions, minimum: 1)
            }
            try expect(
                completions.count == depth + 1,
                "\(completions.count) completions for \(depth + 1) requests")
            try expect(
                Set(completions.map(\.userData)).count == depth + 1, "a request completed twice")
            for completion in completions {
                try expect(
                    Int(completion.result) == unit,
                    "read of a reserved block returned \(completion.result)")
            }
            backend.closeFile(file)
        }

        mutating func sync(_ backend: any IOBackend) throws {
            let unit = unit(backend)
            let empty = try backend.openFile("empty", options: IOFileOptions(create: true))
            try executeFully(
                backend, [IORequest.sync(empty, userData: userData())], "sync of an empty file")
            let file = try backend.openFile("written", options: IOFileOptions(create: true))
            let source = keptBuffer(byteCount: 8 * unit)
            source.fillPattern(seed: 7)
            try executeFully(
                backend,
                [request(.write, file, offset: 0, buffer: source.pointer, length: 8 * unit)],
                "write")
            try executeFully(
                backend, [IORequest.sync(file, userData: userData())], "sync after write")
            // A sync prepared in the same batch as writes must also complete exactly once.
            let batch = [
                request(.write, file, offset: 8 * unit, buffer: source.pointer, length: unit),
                IORequest.sync(file, userData: userData()),
            ]
            let results = try execute(backend, batch)
            try expect(
                Int(results[batch[0].userData]!) == unit,
                "write beside a sync returned \(results[batch[0].userData]!)")
            try expect(
                results[batch[1].userData]! == 0,
                "sync beside a write returned \(results[batch[1].userData]!)")
            backend.closeFile(empty)
            backend.closeFile(file)
        }

        mutating func unwrittenReadsZero(_ backend: any IOBackend) throws {
            let unit = unit(backend)
            let file = try backend.openFile("holes", options: IOFileOptions(create: true))
            try backend.reserve(file, size: UInt64(16 * unit))
            let size = try backend.fileSize(file)
            try expect(size >= UInt64(16 * unit), "file size \(size) after reserve(\(16 * unit))")
            let source = keptBuffer(byteCount: unit)
            source.fillPattern(seed: 99)
            try executeFully(
                backend,
                [
                    request(.write, file, offset: 4 * unit, buffer: source.pointer, length: unit),
                    // Past the reserved size: extends the file, leaving a hole at 16..<20.
                    request(.write, file, offset: 20 * unit, buffer: source.pointer, length: unit),
                ], "write")
            let sink = keptBuffer(byteCount: 21 * unit, fill: 0xEE)
            try executeFully(
                backend, [request(.read, file, offset: 0, buffer: sink.pointer, length: 21 * unit)],
                "read")
            for block in 0..<21 {
                if block == 4 || block == 20 {
                    try expect(
                        sink.matches(source, offset: block * unit, count: unit),
                        "written block \(block) reads back wrong")
                } else {
                    try expect(
                        sink.isZero(offset: block * unit, count: unit),
                        "never-written block \(block) (of \(unit) bytes) does not read as zeros")
                }
            }
            try expect(
                try backend.fileSize(file) == UInt64(21 * unit),
                "file size after the extending write")
            backend.closeFile(file)
        }

        mutating func shortReadAtEOF(_ backend: any IOBackend) throws {
            let unit = unit(backend)
            let file = try backend.openFile("eof", options: IOFileOptions(create: true))
            let source = keptBuffer(byteCount: 3 * unit)
            source.fillPattern(seed: 3)
            try executeFully(
                backend,
                [request(.write, file, offset: 0, buffer: source.pointer, length: 3 * unit)],
                "write")
            let sink = keptBuffer(byteCount: 2 * unit)
            let crossing = request(
                .read, file, offset: 2 * unit, buffer: sink.pointer, length: 2 * unit)
            let atEnd = request(
                .read, file, offset: 3 * unit, buffer: sink.pointer + unit, length: unit)
            // Run them one at a time: both target the sink.
            let first = try execute(backend, [crossing])[crossing.userData]!
            try expect(
                Int(first) == unit,
                "read of \(2 * unit) bytes with \(unit) before EOF returned \(first)")
            try expect(
                sink.matches(source, offset: 0, otherOffset: 2 * unit, count: unit),
                "short read bytes differ")
            let second = try execute(backend, [atEnd])[atEnd.userData]!
            try expect(second == 0, "read at EOF returned \(second), expected 0")
            if backend.requiredAlignment == 1 {
                let small = try backend.openFile(
                    "eof-unaligned", options: IOFileOptions(create: true))
                try executeFully(
                    backend,
                    [request(.write, small, offset: 0, buffer: source.pointer, length: 5_000)],
                    "write")
                let tail = request(.read, small, offset: 4_096, buffer: sink.pointer, length: 8_192)
                let got = try execute(backend, [tail])[tail.userData]!
                try expect(
                    got == 904,
                    "read of 8192 at 4096 in a 5000-byte file returned \(got), expected 904")
                backend.closeFile(small)
            }
            backend.closeFile(file)
        }

        mutating func listAndRemove(_ backend: any IOBackend) throws {
            let initial = try backend.listFiles()
            try expect(initial.isEmpty, "a fresh directory lists \(initial)")
            var ids: [IOFileID] = []
            for name in ["c", "a", "b"] {
                ids.append(try backend.openFile(name, options: IOFileOptions(create: true)))
            }
            try expect(Set(ids).count == 3, "open files share ids: \(ids)")
            let listed = try backend.listFiles()
            try expect(listed == ["a", "b", "c"], "listFiles() = \(listed)")
            do {
                _ = try backend.openFile("a", options: IOFileOptions(create: true, exclusive: true))
                throw violation("exclusive create of an existing file succeeded")
            } catch is IOBackendError {}
            do {
                _ = try backend.openFile("missing", options: IOFileOptions())
                throw violation("opening a missing file without create succeeded")
            } catch is IOBackendError {}
            for bad in ["", ".", "..", "../escape", "x/y"] {
                do {
                    _ = try backend.openFile(bad, options: IOFileOptions(create: true))
                    throw violation("opening the bad name \"\(bad)\" succeeded")
                } catch is IOBackendError {}
            }
            for id in ids { backend.closeFile(id) }
            try backend.removeFile("b")
            let remaining = try backend.listFiles()
            try expect(remaining == ["a", "c"], "after removing b: \(remaining)")
            try backend.removeFile("b")
            try backend.removeFile("never-existed")
            let reopened = try backend.openFile("a", options: IOFileOptions())
            backend.closeFile(reopened)
        }

        mutating func reopenSeesData(directory: String, _ makeBackend: Factory) throws {
            var source: IOTestBuffer?
            var length = 0
            do {
                let backend = try makeBackend(directory)
                let unit = unit(backend)
                length = 37 * unit
                let buffer = keptBuffer(byteCount: length)
                buffer.fillPattern(seed: 0xD15C)
                source = buffer
                let file = try backend.openFile("persist", options: IOFileOptions(create: true))
                try executeFully(
                    backend,
                    [request(.write, file, offset: 0, buffer: buffer.pointer, length: length)],
                    "write")
                try executeFully(backend, [IORequest.sync(file, userData: userData())], "sync")
                backend.closeFile(file)
            }
            let backend = try makeBackend(directory)
            let listed = try backend.listFiles()
            try expect(listed == ["persist"], "reopened directory lists \(listed)")
            let file = try backend.openFile("persist", options: IOFileOptions())
            let size = try backend.fileSize(file)
            try expect(size == UInt64(length), "reopened file size \(size), expected \(length)")
            let sink = keptBuffer(byteCount: length)
            try executeFully(
                backend, [request(.read, file, offset: 0, buffer: sink.pointer, length: length)],
                "read")
            try expect(
                sink.matches(source!, count: length),
                "reopened file's bytes differ from the synced ones")
            backend.closeFile(file)
        }

        mutating func registeredBuffers(_ backend: any IOBackend) throws {
            let unit = unit(backend)
            let pool = keptBuffer(byteCount: 8 * unit)
            let other = keptBuffer(byteCount: 4 * unit)
            guard backend.registerBuffers([pool.bytes, other.bytes]) else { return }
            let file = try backend.openFile("fixed", options: IOFileOptions(create: true))
            let source = keptBuffer(byteCount: 4 * unit)
            source.fillPattern(seed: 0xF1ED)
            // Stage into the middle of buffer 0 and all of buffer 1, write both, read back
            // into the other halves.
            UnsafeMutableRawBufferPointer(start: pool.pointer + 2 * unit, count: 4 * unit)
                .copyMemory(from: UnsafeRawBufferPointer(source.bytes))
            UnsafeMutableRawBufferPointer(start: other.pointer, count: 4 * unit).copyMemory(
                from: UnsafeRawBufferPointer(source.bytes))
            try executeFully(
                backend,
                [
                    request(
                        .write, file, offset: 0, buffer: pool.pointer + 2 * unit, length: 4 * unit,
                        registeredBufferIndex: 0),
                    request(
                        .write, file, offset: 4 * unit, buffer: other.pointer, length: 4 * unit,
                        registeredBufferIndex: 1),
                ], "fixed write")
            memset0(pool)
            memset0(other)
            try executeFully(
                backend,
                [
                    request(
                        .read, file, offset: 4 * unit, buffer: pool.pointer, length: 4 * unit,
                        registeredBufferIndex: 0),
                    request(
                        .read, file, offset: 0, buffer: other.pointer, length: 4 * unit,
                        registeredBufferIndex: 1),
                ], "fixed read")
            try expect(pool.matches(source, count: 4 * unit), "fixed read into buffer 0 differs")
            try expect(other.matches(source, count: 4 * unit), "fixed read into buffer 1 differs")
            // Unregistering (only now: it requires no requests outstanding) must succeed.
            try expect(backend.registerBuffers([]), "unregistering with an empty array failed")
            backend.closeFile(file)
        }

        private func memset0(_ buffer: IOTestBuffer) {
            buffer.bytes.initializeMemory(as: UInt8.self, repeating: 0)
        }
    }
}
