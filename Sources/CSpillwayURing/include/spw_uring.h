// The only door to liburing: plain C functions over an opaque ring, so Swift never sees
// liburing.h (its feature macros clash with Glibc's module on a clean build).
//
// Conventions: every function that can fail returns a negative errno (-EINVAL, -ENOMEM, ...)
// and 0 or a count on success. Prepare functions take one submission queue entry (SQE) from
// the ring and return -EBUSY when the submission queue is full; nothing reaches the kernel
// until spw_ring_submit / spw_ring_submit_and_wait.
#ifndef SPW_URING_H
#define SPW_URING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this kernel lets us set up an io_uring instance, else 0 (with `*error_out` set to
/// the positive errno when not NULL).
int spw_uring_available(int *error_out);

/// An io_uring instance (submission + completion queue). Not thread-safe: one owner.
typedef struct spw_ring spw_ring;

/// Setup flags for spw_ring_create (mapped onto IORING_SETUP_*; the kernel rejects ones it
/// does not know with -EINVAL, so callers retry without them).
enum {
    /// IORING_SETUP_CLAMP: clamp `entries` to the kernel maximum instead of failing.
    SPW_SETUP_CLAMP = 1u << 0,
    /// IORING_SETUP_COOP_TASKRUN (5.19+): no IPI to interrupt the task on completion.
    SPW_SETUP_COOP_TASKRUN = 1u << 1,
    /// IORING_SETUP_SINGLE_ISSUER (6.0+): only one task ever submits.
    SPW_SETUP_SINGLE_ISSUER = 1u << 2,
};

/// Per-request flags for the prepare functions.
enum {
    /// `fd` is an index into the files registered with spw_ring_register_files.
    SPW_SQE_FIXED_FILE = 1u << 0,
};

/// Operations spw_ring_probe_opcode can ask about.
typedef enum spw_opcode {
    SPW_OP_READ = 0,
    SPW_OP_WRITE,
    SPW_OP_READV,
    SPW_OP_WRITEV,
    SPW_OP_READ_FIXED,
    SPW_OP_WRITE_FIXED,
    SPW_OP_FSYNC,
} spw_opcode;

/// One completion, copied out of the completion queue.
typedef struct spw_completion {
    uint64_t user_data;
    /// Bytes transferred, 0, or a negative errno.
    int32_t result;
    uint32_t flags;
} spw_completion;

/// One buffer for spw_ring_register_buffers / vectored I/O (layout-compatible with iovec).
typedef struct spw_buffer {
    void *base;
    size_t length;
} spw_buffer;

/// Creates a ring with at least `entries` submission entries (the kernel rounds up to a
/// power of two; the completion queue is twice that). `setup_flags` is a mask of SPW_SETUP_*.
/// On success stores the ring in `*ring_out` and returns 0.
int spw_ring_create(unsigned entries, unsigned setup_flags, spw_ring **ring_out);

/// Tears the ring down (the kernel cancels or waits for requests still in flight) and frees
/// it. NULL is ignored.
void spw_ring_destroy(spw_ring *ring);

/// Number of submission entries the kernel gave the ring.
unsigned spw_ring_sq_entries(const spw_ring *ring);
/// Number of completion entries the kernel gave the ring.
unsigned spw_ring_cq_entries(const spw_ring *ring);

/// Registers `count` buffers for fixed-buffer I/O (pins their pages). Returns 0 or -errno.
int spw_ring_register_buffers(spw_ring *ring, const spw_buffer *buffers, unsigned count);
/// Drops the registered buffers. Returns 0 or -errno (-ENXIO when none are registered).
int spw_ring_unregister_buffers(spw_ring *ring);

/// Registers `count` file descriptors (-1 = empty slot); requests with SPW_SQE_FIXED_FILE
/// then name a file by its index. Returns 0 or -errno.
int spw_ring_register_files(spw_ring *ring, const int *fds, unsigned count);
/// Replaces registered slots [offset, offset + count) with `fds` (-1 clears a slot).
/// Returns the number of slots updated or -errno.
int spw_ring_update_files(spw_ring *ring, unsigned offset, const int *fds, unsigned count);
/// Drops the registered files. Returns 0 or -errno.
int spw_ring_unregister_files(spw_ring *ring);

/// Free submission entries (how many more requests can be prepared before a submit).
unsigned spw_ring_sq_space(const spw_ring *ring);
/// Prepared entries not yet handed to the kernel.
unsigned spw_ring_sq_ready(const spw_ring *ring);

/// Prepares a read of `length` bytes at `offset` of `fd` into `buffer`.
int spw_ring_prep_read(spw_ring *ring, int fd, void *buffer, unsigned length, uint64_t offset,
                       uint64_t user_data, unsigned sqe_flags);
/// Prepares a write of `length` bytes from `buffer` at `offset` of `fd`.
int spw_ring_prep_write(spw_ring *ring, int fd, const void *buffer, unsigned length,
                        uint64_t offset, uint64_t user_data, unsigned sqe_flags);
/// Prepares a vectored read. `buffers` must stay valid until the submit returns.
int spw_ring_prep_readv(spw_ring *ring, int fd, const spw_buffer *buffers, unsigned count,
                        uint64_t offset, uint64_t user_data, unsigned sqe_flags);
/// Prepares a vectored write. `buffers` must stay valid until the submit returns.
int spw_ring_prep_writev(spw_ring *ring, int fd, const spw_buffer *buffers, unsigned count,
                         uint64_t offset, uint64_t user_data, unsigned sqe_flags);
/// Prepares a read into registered buffer `buffer_index`; [buffer, buffer + length) must
/// lie inside it.
int spw_ring_prep_read_fixed(spw_ring *ring, int fd, void *buffer, unsigned length,
                             uint64_t offset, int buffer_index, uint64_t user_data,
                             unsigned sqe_flags);
/// Prepares a write from registered buffer `buffer_index`.
int spw_ring_prep_write_fixed(spw_ring *ring, int fd, const void *buffer, unsigned length,
                              uint64_t offset, int buffer_index, uint64_t user_data,
                              unsigned sqe_flags);
/// Prepares an fsync of `fd`; with `datasync` != 0 an fdatasync.
int spw_ring_prep_fsync(spw_ring *ring, int fd, int datasync, uint64_t user_data,
                        unsigned sqe_flags);

/// Hands every prepared entry to the kernel. Returns how many it took, or -errno (-EINTR,
/// -EAGAIN, -EBUSY are transient: the caller retries).
int spw_ring_submit(spw_ring *ring);
/// Submits, then waits until at least `wait_count` completions are available.
int spw_ring_submit_and_wait(spw_ring *ring, unsigned wait_count);

/// Copies up to `capacity` available completions into `out` and consumes them, without
/// waiting. Returns how many were copied.
unsigned spw_ring_reap(spw_ring *ring, spw_completion *out, unsigned capacity);
/// Number of completions available now (without entering the kernel).
unsigned spw_ring_cq_ready(const spw_ring *ring);
/// Waits until at least `count` completions are available (consumes none). Returns 0 or
/// -errno (-EINTR is transient).
int spw_ring_wait(spw_ring *ring, unsigned count);

/// 1 when the running kernel supports `opcode` on this ring, 0 when not, -errno when the
/// probe itself failed (kernels before 5.6 have no probe).
int spw_ring_probe_opcode(spw_ring *ring, spw_opcode opcode);

#ifdef __cplusplus
}
#endif
#endif
