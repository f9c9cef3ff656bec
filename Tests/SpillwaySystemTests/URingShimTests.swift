// The C shim's calls that URingIO does not use on its hot path (vectored I/O,
// submit_and_wait, queue counters, opcode probe, file table updates), driven directly.
import CSpillwayURing
import Glibc
import SpillwayTesting
import Testing

@Suite(
    "spw_ring shim",
    .enabled(
        if: uringUnavailable == nil,
        Comment(rawValue: "io_uring unavailable: \(uringUnavailable ?? "")")))
struct URingShimTests {
    @Test("vectored write and read, submit_and_wait, counters, probe, file table")
    func vectoredAndCounters() throws {
        var ring: OpaquePointer?
        #expect(spw_ring_create(8, UInt32(SPW_SETUP_CLAMP), &ring) == 0)
        let handle = try #require(ring)
        defer { spw_ring_destroy(handle) }
        #expect(spw_ring_sq_entries(handle) == 8)
        #expect(spw_ring_cq_entries(handle) == 16)
        #expect(spw_ring_sq_space(handle) == 8)
        for opcode in [
            SPW_OP_READ, SPW_OP_WRITE, SPW_OP_READV, SPW_OP_WRITEV, SPW_OP_READ_FIXED,
            SPW_OP_WRITE_FIXED, SPW_OP_FSYNC,
        ] {
            #expect(spw_ring_probe_opcode(handle, opcode) == 1, "opcode \(opcode.rawValue)")
        }
        #expect(spw_ring_unregister_buffers(handle) == -ENXIO)

        let scratch = try ScratchDirectory(under: "/dev/shm")
        let fd = open(scratch.sub("v"), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        let first = IOTestBuffer(byteCount: 100)
        let second = IOTestBuffer(byteCount: 5000)
        first.fillPattern(seed: 1)
        second.fillPattern(seed: 2)
        var out = [
            spw_buffer(base: first.pointer, length: 100),
            spw_buffer(base: second.pointer, length: 5000),
        ]
        #expect(spw_ring_prep_writev(handle, fd, &out, 2, 7, 41, 0) == 0)
        #expect(spw_ring_prep_fsync(handle, fd, 1, 42, 0) == 0)
        #expect(spw_ring_sq_space(handle) == 6)
        #expect(spw_ring_sq_ready(handle) == 2)
        // Submits both, waits for both (a later fsync may still finish first: any order).
        #expect(spw_ring_submit_and_wait(handle, 2) == 2)
        #expect(spw_ring_cq_ready(handle) == 2)
        var completions = [spw_completion](repeating: spw_completion(), count: 4)
        #expect(spw_ring_reap(handle, &completions, 4) == 2)
        let results = Dictionary(
            uniqueKeysWithValues: completions[0..<2].map { ($0.user_data, $0.result) })
        #expect(results == [41: 5100, 42: 0])

        // Read back through a registered file slot.
        var files: [Int32] = [-1, -1]
        #expect(spw_ring_register_files(handle, &files, 2) == 0)
        var entry = fd
        #expect(spw_ring_update_files(handle, 1, &entry, 1) == 1)
        let back = IOTestBuffer(byteCount: 5100)
        var into = [
            spw_buffer(base: back.pointer, length: 4000),
            spw_buffer(base: back.pointer + 4000, length: 1100),
        ]
        #expect(spw_ring_prep_readv(handle, 1, &into, 2, 7, 43, UInt32(SPW_SQE_FIXED_FILE)) == 0)
        #expect(spw_ring_submit(handle) == 1)
        #expect(spw_ring_wait(handle, 1) == 0)
        #expect(spw_ring_reap(handle, &completions, 4) == 1)
        #expect(completions[0].user_data == 43 && completions[0].result == 5100)
        #expect(back.matches(first, count: 100))
        #expect(back.matches(second, offset: 100, count: 5000))
        #expect(spw_ring_unregister_files(handle) == 0)
    }

    @Test("prepare reports a full submission queue as -EBUSY")
    func fullQueue() throws {
        var ring: OpaquePointer?
        #expect(spw_ring_create(2, 0, &ring) == 0)
        let handle = try #require(ring)
        defer { spw_ring_destroy(handle) }
        #expect(spw_ring_prep_fsync(handle, 0, 1, 1, 0) == 0)
        #expect(spw_ring_prep_fsync(handle, 0, 1, 2, 0) == 0)
        #expect(spw_ring_prep_fsync(handle, 0, 1, 3, 0) == -EBUSY)
        #expect(spw_ring_create(0, 0, &ring) == -EINVAL)
    }
}
