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
package final class ThreadedDiskEncoder: DiskEncoder, @unchecked Sendable {
    package let blockByteCountMax: Int
    package let threadCount: Int
    /// Encodes queued or running per thread before the pool counts as behind: one
    /// running and one queued keeps a thread busy between two takes.
    package static let slotsPerThread = 2

    private let shared: Shared
    private var threads: [NativeThread] = []

    /// Bytes of scratch memory the pool holds (one block per thread).
    package static func scratchBytes(threadCount: Int, blockByteCountMax: Int) -> Int {
        threadCount * max(blockByteCountMax, 16)
    }

    /// Encode threads for this machine: one per online core but one (the core the owner's
    /// I/O thread submits from), at least 1, at most 4.
    package static var defaultThreadCount: Int {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, min(4, cores - 1))
    }

    /// The nice value encode threads run at: compression uses the CPU the owner's
    /// thread (and the engine beside it) leaves over; rows it has no time for go raw.
    package static let defaultNiceness: Int32 = 10

    /// Starts `threadCount` encode threads for blocks of up to `blockByteCountMax` bytes,
    /// each at nice `niceness` (Linux nice is per thread; a failure to set it is ignored).
    /// - Throws: `NativeThreadError` when a thread cannot start (those started are stopped).
    package init(
        threadCount: Int, blockByteCountMax: Int, niceness: Int32 = defaultNiceness
    ) throws {
        precondition(threadCount > 0, "an encode pool needs a thread")
        self.threadCount = threadCount
        self.blockByteCountMax = blockByteCountMax
        let shared = Shared(
            slotCount: threadCount * Self.slotsPerThread, threadCount: threadCount,
            scratchBytes: max(blockByteCountMax, 16))
        self.shared = shared
        do {
            for index in 0..<threadCount {
                // The threads hold the shared state, never the pool: the pool's deinit
                // stops and joins them.
                threads.append(
                    try NativeThread {
                        // Linux keeps nice per thread: who 0 is the calling thread.
                        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
                        shared.work(thread: index)
                    })
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    private func stop() {
        shared.stop()
        for thread in threads { thread.join() }
    }

    package var isBehind: Bool { shared.isBehind }

    /// Encodes run on the pool's threads after `submit` returns.
    package var encodesInSubmit: Bool { false }

    package func submit(_ work: DiskEncodeWork) {
        precondition(work.rawLength <= blockByteCountMax, "encode larger than the scratch")
        shared.submit(work)
    }

    package func takeFinished(into results: inout [DiskEncodeResult]) {
        shared.takeFinished(into: &results, waiting: false)
    }

    package func waitFinished(into results: inout [DiskEncodeResult]) {
        shared.takeFinished(into: &results, waiting: true)
    }

    package func reclaim(into work: inout [DiskEncodeWork]) {
        shared.reclaim(into: &work)
    }

    /// What the owner and the threads share, all of it guarded by `lock`: the queue of work
    /// not started (a ring), encodes queued or running, the finished results, the stop
    /// flag; and each thread's scratch.
    private final class Shared: @unchecked Sendable {
        let lock = ConditionLock()
        let slotCount: Int
        var queue: [DiskEncodeWork?]
        var queueHead = 0
        var queued = 0
        var outstanding = 0
        var finished: [DiskEncodeResult] = []
        var stopping = false
        let scratches: [UnsafeMutableRawPointer]

        init(slotCount: Int, threadCount: Int, scratchBytes: Int) {
            self.slotCount = slotCount
            queue = Array(repeating: nil, count: slotCount)
            finished.reserveCapacity(slotCount)
            scratches = (0..<threadCount).map { _ in
                UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
            }
        }

        deinit { for scratch in scratches { scratch.deallocate() } }

        var isBehind: Bool { lock.withLock { outstanding >= slotCount } }

        func stop() {
            lock.withLock {
                stopping = true
                lock.broadcast()
            }
        }

        func submit(_ work: DiskEncodeWork) {
            lock.withLock {
                precondition(outstanding < slotCount, "submit to an encode pool that is behind")
                queue[(queueHead + queued) % slotCount] = work
                queued += 1
                outstanding += 1
                lock.broadcast()
            }
        }

        func takeFinished(into results: inout [DiskEncodeResult], waiting: Bool) {
            lock.withLock {
                while waiting, finished.isEmpty { lock.wait() }
                results.append(contentsOf: finished)
                finished.removeAll(keepingCapacity: true)
            }
        }

        func reclaim(into work: inout [DiskEncodeWork]) {
            lock.withLock {
                while queued > 0 {
                    work.append(queue[queueHead]!)
                    queue[queueHead] = nil
                    queueHead = (queueHead + 1) % slotCount
                    queued -= 1
                    outstanding -= 1
                }
            }
        }

        /// One encode thread: take the oldest queued work, encode it without the lock,
        /// hand the result back; after `stop`, finish what is queued, then end.
        func work(thread: Int) {
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
}
