// spillway-alloc-probe: counts heap allocations (real malloc calls, via the executable's own
// malloc) on the hot path of the tiering engine replay and the vLLM-semantics manager.
//
// Usage: spillway-alloc-probe [--generated-requests N] [TRACE.jsonl ...]
//        spillway-alloc-probe --directory-memory N (heap bytes of a filled N-block directory)
// (N requests per generated trace, default 2000; the tests use fewer to stay fast.)
// (SPILLWAY_ALLOC_BACKTRACES=N prints the stacks of the first N counted mallocs to stderr.)
// Replays each trace file (and a generated trace) once to warm up, then counts mallocs while
// replaying it again on the same engine; likewise for a loop of PrimaryTierManager
// operations. Prints one JSON object on stdout; exits 1 if malloc counting does not work.
import CSpillwayMallocCount
import Foundation
import SpillwayCore
import SpillwaySystem

/// One measured phase.
struct Measurement: Encodable {
    var name: String
    var trace: String
    var blockOperations: Int
    var mallocs: Int64
    var frees: Int64
    var mallocsPerBlockOperation: Double {
        blockOperations > 0 ? Double(mallocs) / Double(blockOperations) : 0
    }

    enum CodingKeys: String, CodingKey {
        case name, trace, mallocs, frees, blockOperations = "block_operations"
        case mallocsPerBlockOperation = "mallocs_per_block_operation"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(trace, forKey: .trace)
        try c.encode(blockOperations, forKey: .blockOperations)
        try c.encode(mallocs, forKey: .mallocs)
        try c.encode(frees, forKey: .frees)
        try c.encode(mallocsPerBlockOperation, forKey: .mallocsPerBlockOperation)
    }
}

/// Prints `value` as one JSON line (after counting stopped: encoding allocates).
func printJSON(_ value: some Encodable) {
    do { print(try JSONText.encode(value)) } catch { fail("cannot encode the result: \(error)") }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("spillway-alloc-probe: " + message + "\n").utf8))
    exit(1)
}

/// Runs `body` with counting on; returns (mallocs, frees) counted.
@inline(never)
func counted(_ body: () -> Void) -> (Int64, Int64) {
    spw_malloc_count_reset()
    spw_malloc_count_enable()
    body()
    spw_malloc_count_disable()
    return (spw_malloc_count_allocations(), spw_malloc_count_frees())
}

/// Proves the counter sees Swift heap allocations: an Array whose size the optimizer cannot
/// know must cost at least one malloc.
@inline(never)
func selfCheck() -> Int64 {
    let size = CommandLine.arguments.count + 1000
    var sink = 0
    let (mallocs, _) = counted {
        let array = [UInt64](repeating: 7, count: size)
        sink = array.withUnsafeBufferPointer { Int($0[size / 2]) }
    }
    guard spw_malloc_count_interposed() != 0 else {
        fail("malloc is not interposed: the probe's malloc was never called")
    }
    guard mallocs >= 1, sink == 7 else {
        fail(
            "malloc counting does not work: allocating an Array of \(size) counted \(mallocs) mallocs"
        )
    }
    return mallocs
}

/// Replays `requests` once to warm up, then counts the second replay on the same engine.
func measureReplay(
    _ requests: MooncakeTrace, trace: String, primaryBlocks: Int, diskBlocks: Int,
    policy: TieringPolicy
) -> Measurement {
    let replay = ReplayEngine(primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy)
    // Index loops: in a debug build `for x in array` runs the unspecialized
    // IndexingIterator.next, which mallocs a buffer for a large element per step (the
    // probe's own loop, not the engine's).
    for index in 0..<requests.count { replay.replay(request: index, of: requests) }
    let before = replay.engine.counters.blocks
    let (mallocs, frees) = counted {
        for index in 0..<requests.count { replay.replay(request: index, of: requests) }
    }
    let blocks = replay.engine.counters.blocks - before
    return Measurement(
        name: "replay-\(policy.rawValue)-p\(primaryBlocks)-d\(diskBlocks)", trace: trace,
        blockOperations: blocks, mallocs: mallocs, frees: frees)
}

/// One pass of manager operations per request: lookup, touch, prepareStore + completeStore,
/// prepareLoad + completeLoad of the readable prefix. Returns the block operations done.
func managerPass(
    _ manager: PrimaryTierManager<SimulatedDataPath>, requests: [[BlockKey]],
    store: inout PrepareStoreResult, rows: inout [Int32]
) -> Int {
    var operations = 0
    for index in requests.indices {
        let keys = requests[index]
        _ = manager.lookup(keys)
        manager.touch(keys)
        if manager.prepareStore(keys, into: &store) {
            manager.completeStore(store.keysToStore)
            operations += store.keysToStore.count + store.evicted.count
        }
        let readable = manager.lookup(keys)
        if case .hit(let count, 0) = readable, count == keys.count {
            manager.prepareLoad(keys, into: &rows)
            manager.completeLoad(keys)
            operations += 2 * count
        }
        operations += 2 * keys.count
    }
    return operations
}

/// Warms a manager up with one pass, then counts a second pass.
func measureManager(
    _ requests: MooncakeTrace, trace: String, primaryBlocks: Int, diskBlocks: Int,
    policy: TieringPolicy
) -> Measurement {
    let keys = (0..<requests.count).map {
        requests.hashIDs[requests.hashIDRange(ofRequest: $0)].map(BlockKey.init(traceID:))
    }
    let manager = PrimaryTierManager(
        primaryBlocks: primaryBlocks, diskBlocks: diskBlocks, policy: policy, blockSize: 4096,
        eventsEnabled: false)
    var store = PrepareStoreResult(keysToStore: [], rows: [], evicted: [])
    var rows: [Int32] = []
    _ = managerPass(manager, requests: keys, store: &store, rows: &rows)
    var operations = 0
    let (mallocs, frees) = counted {
        operations = managerPass(manager, requests: keys, store: &store, rows: &rows)
    }
    return Measurement(
        name: "manager-\(policy.rawValue)-p\(primaryBlocks)-d\(diskBlocks)", trace: trace,
        blockOperations: operations, mallocs: mallocs, frees: frees)
}

func load(_ path: String) -> MooncakeTrace {
    do {
        return try TraceFile.load(path)
    } catch {
        fail(error.description)
    }
}

let arrayMallocs = selfCheck()
if let value = ProcessInfo.processInfo.environment["SPILLWAY_ALLOC_BACKTRACES"],
    let count = Int32(value)
{
    spw_malloc_count_print_backtraces(count)
}
/// Heap bytes in use: malloc'd chunks (main arena) plus mmap'd chunks (large allocations).
func heapBytesInUse() -> Int { Int(spw_malloc_heap_bytes_in_use()) }

/// `--directory-memory N`: the heap bytes a block directory of N blocks (N/10 primary, the
/// rest disk) takes once filled completely, measured by malloc (mallinfo2) around its
/// creation and fill, next to the directory's own `allocatedBytes` figure. Prints one JSON
/// object and exits.
func measureDirectoryMemory(blocks: Int) -> Never {
    let primary = blocks / 10
    let before = heapBytesInUse()
    let directory = BlockDirectory(primaryCapacity: primary, diskCapacity: blocks - primary)
    for id in 0..<UInt64(blocks) {
        let slot = directory.insert(BlockKey(traceID: id &* 0x9E37_79B9_7F4A_7C15))
        if directory.freeRowCount > 0 {
            directory.attachPrimary(slot, refCount: 0)
        } else {
            directory.attachDisk(slot)
        }
    }
    let after = heapBytesInUse()
    guard directory.count == blocks else { fail("directory holds \(directory.count) of \(blocks)") }
    printJSON([
        "blocks": blocks, "heap_bytes": after - before, "allocated_bytes": directory.allocatedBytes,
        "key_bytes": BlockDirectory.keyBytesPerSlot,
    ])
    withExtendedLifetime(directory) {}
    exit(0)
}

var paths: [String] = []
var generatedRequests = 2000
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--directory-memory" {
        guard let value = arguments.popFirst().flatMap(Int.init), value >= 10 else {
            fail("--directory-memory needs a block count >= 10")
        }
        measureDirectoryMemory(blocks: value)
    } else if argument == "--generated-requests" {
        guard let value = arguments.popFirst().flatMap(Int.init), value >= 1 else {
            fail("--generated-requests needs a count >= 1")
        }
        generatedRequests = value
    } else if argument.hasPrefix("-") {
        fail(
            "unknown option \(argument); usage: spillway-alloc-probe [--generated-requests N] [TRACE.jsonl ...]"
        )
    } else {
        paths.append(argument)
    }
}
var traces: [(String, MooncakeTrace)] = paths.map { ($0, load($0)) }
var generated = TraceGenerator.Parameters()
generated.requests = generatedRequests
traces.append(
    (
        "generated(seed 1, \(generatedRequests) requests)",
        TraceGenerator.trace(parameters: generated)
    ))
// Long requests: grows the engines' scratch past its initial 256 keys during warm-up.
generated.seed = 7
generated.maxContextBlocks = 400
generated.systemPromptBlocksMax = 100
generated.turnBlocksMax = 60
traces.append(
    (
        "generated(seed 7, \(generatedRequests) requests, long contexts)",
        TraceGenerator.trace(parameters: generated)
    ))

var measurements: [Measurement] = []
for (name, requests) in traces {
    for (primary, disk) in [(1000, 10000), (1000, 0), (200, 500)] {
        for policy in [TieringPolicy.spill, .writeThrough] {
            measurements.append(
                measureReplay(
                    requests, trace: name, primaryBlocks: primary, diskBlocks: disk, policy: policy)
            )
            measurements.append(
                measureManager(
                    requests, trace: name, primaryBlocks: primary, diskBlocks: disk, policy: policy)
            )
        }
    }
}
let totalOperations = measurements.reduce(0) { $0 + $1.blockOperations }
let totalMallocs = measurements.reduce(Int64(0)) { $0 + $1.mallocs }
/// The probe's whole result.
struct ProbeResult: Encodable {
    struct SelfCheck: Encodable {
        var interposed = true
        var arrayMallocs: Int64
        enum CodingKeys: String, CodingKey { case interposed, arrayMallocs = "array_mallocs" }
    }
    var selfCheck: SelfCheck
    var blockOperations: Int
    var mallocs: Int64
    var mallocsPerBlockOperation: Double
    var runs: [Measurement]
    enum CodingKeys: String, CodingKey {
        case selfCheck = "self_check", blockOperations = "block_operations", mallocs, runs
        case mallocsPerBlockOperation = "mallocs_per_block_operation"
    }
}
printJSON(
    ProbeResult(
        selfCheck: .init(arrayMallocs: Int64(arrayMallocs)), blockOperations: totalOperations,
        mallocs: totalMallocs,
        mallocsPerBlockOperation: Double(totalMallocs) / Double(max(totalOperations, 1)),
        runs: measurements))
