// The disk tier's encode pool: a few native threads compress rows off the submitting
// thread; when they all have work queued the tier stores rows raw instead of waiting.
import Glibc
import SpillwayCore

/// A `DiskEncoder` running `threadCount` pthreads, each with its own shuffle scratch.
///
/// At most `slotsPerThread × threadCount` encodes are queued or running; beyond that the
/// pool is `isBehind` and the tier stores rows raw (counted in `DiskTierStats`), so the
/// device never waits for compression. Finished encodes wait in a queue until the tier
/// takes them. One thread (the tier's owner) submits and takes; `deinit` stops the threads
/// after they finish what they hold.
public final class ThreadedDiskEncoder: DiskEncoder, @unchecked Sendable {
    public let blockByteCountMax: Int
    public let threadCount: Int
    /// Encodes queued or running per thread before the pool counts as behind: one
    /// running and one queued keeps a thread busy between two takes.
    public static let slotsPerThread = 2

    private let lock = ConditionLock()
    private let slotCount: Int
    // Guarded by `lock`: the queue of work not started (a ring), encodes queued or
    // running, the finished results, and the stop flag.
    private var queue: [DiskEncodeWork?]
    private var queueHead = 0
    private var queued = 0
    private var outstanding = 0
    private var finished: [DiskEncodeResult] = []
    private var stopping = false
    private var threads: [NativeThread] = []
    private let scratches: [UnsafeMutableRawPointer]

    /// Bytes of scratch memory the pool holds (one block per thread).
    public static func scratchBytes(threadCount: Int, blockByteCountMax: Int) -> Int {
        threadCount * max(blockByteCountMax, 16)
    }

    /// Encode threads for this machine: one per online core but one (the core the owner's
    /// I/O thread submits from), at least 1, at most 4.
    public static var defaultThreadCount: Int {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, min(4, cores - 1))
    }

    /// Starts `threadCount` encode threads for blocks of up to `blockByteCountMax` bytes.
    /// - Throws: `NativeThreadError` when a thread cannot start (those started are stopped).
    public init(threadCount: Int, blockByteCountMax: Int) throws {
        precondition(threadCount > 0, "an encode pool needs a thread")
        self.threadCount = threadCount
        self.blockByteCountMax = blockByteCountMax
        self.slotCount = threadCount * Self.slotsPerThread
        self.queue = Array(repeating: nil, count: slotCount)
        finished.reserveCapacity(slotCount)
        self.scratches = (0..<threadCount).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: max(blockByteCountMax, 16), alignment: 64)
        }
        do {
            for index in 0..<threadCount {
                threads.append(try NativeThread { [unowned self] in self.work(thread: index) })
            }
        } catch {
            stop()
            for scratch in scratches { scratch.deallocate() }
            throw error
        }
    }

    deinit {
        stop()
        for scratch in scratches { scratch.deallocate() }
    }

    private func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        for thread in threads { thread.join() }
    }

    public var isBehind: Bool {
        lock.withLock { outstanding >= slotCount }
    }

    public func submit(_ work: DiskEncodeWork) {
        precondition(work.rawLength <= blockByteCountMax, "encode larger than the scratch")
        lock.withLock {
            precondition(outstanding < slotCount, "submit to an encode pool that is behind")
            queue[(queueHead + queued) % slotCount] = work
            queued += 1
            outstanding += 1
            lock.broadcast()
        }
    }

    public func takeFinished(into results: inout [DiskEncodeResult]) {
        lock.withLock { moveFinished(into: &results) }
    }

    public func waitFinished(into results: inout [DiskEncodeResult]) {
        lock.withLock {
            while finished.isEmpty { lock.wait() }
            moveFinished(into: &results)
        }
    }

    private func moveFinished(into results: inout [DiskEncodeResult]) {
        results.append(contentsOf: finished)
        finished.removeAll(keepingCapacity: true)
    }

    /// One encode thread: take the oldest queued work, encode it without the lock, hand
    /// the result back.
    private func work(thread: Int) {
        let scratch = scratches[thread]
        while true {
            let item: DiskEncodeWork? = lock.withLock {
                while queued == 0, !stopping { lock.wait() }
                guard queued > 0 else { return nil }
                let item = queue[queueHead]
                queue[queueHead] = nil
                queueHead = (queueHead + 1) % slotCount
                queued -= 1
                return item
            }
            guard let item else { return }
            let result = item.perform(scratch: scratch)
            lock.withLock {
                outstanding -= 1
                finished.append(result)
                lock.broadcast()
            }
        }
    }
}
