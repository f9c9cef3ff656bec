// The shared IOBackend contract run against SimulatedIO (buffered and O_DIRECT models), so
// the simulator the disk tier is tested on behaves like the kernel backend.
import SpillwayCore
import SpillwayTesting
import Testing

@Suite("SimulatedIO contract")
struct SimulatedIOContractTests {
    @Test(
        "SimulatedIO passes every IOBackend contract check",
        arguments: IOBackendContract.Check.allCases, [1, 4096])
    func contract(_ check: IOBackendContract.Check, alignment: Int) throws {
        // One simulated "directory" per name; a second backend on it shares its files.
        var directories: [String: SimulatedIO] = [:]
        try IOBackendContract.run(check, directory: "sim/\(check)") { name in
            if let existing = directories[name] { return existing.reopened(seed: 2) }
            let backend = SimulatedIO(seed: 1, requiredAlignment: alignment, queueDepth: 32)
            directories[name] = backend
            return backend
        }
    }

    /// Setup: a simulator with two registered 8 KiB buffers. Checks: registering is
    /// accepted (so the contract's fixed-buffer case runs on the simulator); a fixed write
    /// inside the buffer it names transfers its length; one that names the other buffer, runs
    /// past its buffer's end, names no registered buffer, or comes after unregistering
    /// completes with -EFAULT and writes nothing.
    @Test("fixed-buffer requests must lie inside the registered buffer they name")
    func registeredBuffers() throws {
        let io = SimulatedIO(seed: 5)
        let file = try io.openFile("f", options: IOFileOptions(create: true))
        let first = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 4096)
        let second = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 4096)
        defer {
            first.deallocate()
            second.deallocate()
        }
        first.initializeMemory(as: UInt8.self, repeating: 0x11)
        second.initializeMemory(as: UInt8.self, repeating: 0x22)
        #expect(io.registerBuffers([first, second]))
        func write(_ buffer: UnsafeMutableRawPointer, _ length: Int, index: Int32) throws -> Int32 {
            #expect(
                io.prepare(
                    IORequest(
                        kind: .write, file: file, offset: 0, buffer: buffer, length: length,
                        registeredBufferIndex: index, userData: 1)))
            try io.submit()
            var completions: [IOCompletion] = []
            try io.reap(into: &completions, minimum: 1)
            return completions.first?.result ?? 0
        }
        #expect(try write(first.baseAddress! + 4096, 4096, index: 0) == 4096)
        #expect(try write(second.baseAddress!, 8192, index: 1) == 8192)
        let written = io.writeCount
        #expect(try write(first.baseAddress!, 4096, index: 1) == -14)
        #expect(try write(second.baseAddress! + 4096, 8192, index: 1) == -14)
        #expect(try write(first.baseAddress!, 4096, index: 2) == -14)
        #expect(io.registerBuffers([]))
        #expect(try write(first.baseAddress!, 4096, index: 0) == -14)
        #expect(io.writeCount == written, "a refused fixed write was executed")
        #expect(try io.fileSize(file) == 8192)
    }

    @Test("the fault plan injects what it says, and the same seed replays the same faults")
    func faultsReplay() throws {
        func run(seed: UInt64) throws -> (SimulatedIO.FaultCounts, [Int32]) {
            let io = SimulatedIO(seed: seed, queueDepth: 64, faults: .chaos(rate: 0.2))
            let file = try io.openFile("f", options: IOFileOptions(create: true))
            try io.reserve(file, size: 1 << 20)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 4096)
            defer { buffer.deallocate() }
            var results: [Int32] = []
            var completions: [IOCompletion] = []
            for round in 0..<20 {
                for index in 0..<16 {
                    let kind: IORequest.Kind = index % 2 == 0 ? .write : .read
                    #expect(
                        io.prepare(
                            IORequest(
                                kind: kind, file: file, offset: UInt64(index * 8192),
                                buffer: buffer, length: 8192, userData: UInt64(round * 16 + index)))
                    )
                }
                try io.submit()
                completions.removeAll()
                try io.reap(into: &completions, minimum: 16)
                results += completions.map(\.result)
            }
            return (io.faultCounts, results)
        }
        let (counts, results) = try run(seed: 42)
        #expect(counts.readErrors > 0 && counts.writeErrors > 0 && counts.shortTransfers > 0)
        #expect(counts.writeNoSpace > 0 && counts.readBitFlips > 0 && counts.reorderedBatches > 0)
        #expect(counts.interruptions > 0 && (results.contains(-4) || results.contains(-11)))
        #expect(results.contains(-5) && results.contains(-28))
        let (againCounts, againResults) = try run(seed: 42)
        #expect(againCounts == counts && againResults == results)
    }

    @Test("crash drops or tears unsynced writes and keeps synced ones")
    func crashModel() throws {
        let io = SimulatedIO(seed: 7, faults: .init(crashDrop: 0.5, crashTear: 0.5))
        let file = try io.openFile("f", options: IOFileOptions(create: true))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        var completions: [IOCompletion] = []
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAA, count: 4096)
        #expect(
            io.prepare(
                IORequest(
                    kind: .write, file: file, offset: 0, buffer: buffer, length: 4096, userData: 1))
        )
        #expect(io.prepare(IORequest.sync(file, userData: 2)))
        try io.submit()
        try io.reap(into: &completions, minimum: 2)
        buffer.initializeMemory(as: UInt8.self, repeating: 0xBB, count: 4096)
        for index in 1...16 {
            #expect(
                io.prepare(
                    IORequest(
                        kind: .write, file: file, offset: UInt64(index * 4096), buffer: buffer,
                        length: 4096, userData: 3)))
            try io.submit()
            try io.reap(into: &completions, minimum: 1)
        }
        #expect(io.unsyncedByteCount == 16 * 4096)
        io.crash()
        let image = io.contents(ofFileNamed: "f")!
        #expect(image[0..<4096].allSatisfy { $0 == 0xAA })
        #expect(io.faultCounts.crashDroppedWrites + io.faultCounts.crashTornWrites == 16)
        #expect(io.faultCounts.crashTornWrites > 0 && io.faultCounts.crashDroppedWrites > 0)
        #expect(image[4096...].allSatisfy { $0 == 0xBB || $0 == 0 })
        #expect(io.unsyncedByteCount == 0)
    }
}
