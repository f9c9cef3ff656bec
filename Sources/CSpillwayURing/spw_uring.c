// liburing wrappers: the kernel side of the I/O seam (see include/spw_uring.h for the API).
#include "spw_uring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <liburing.h>

_Static_assert(sizeof(spw_buffer) == sizeof(struct iovec), "spw_buffer must match iovec");
_Static_assert(offsetof(spw_buffer, base) == offsetof(struct iovec, iov_base), "iovec base");
_Static_assert(offsetof(spw_buffer, length) == offsetof(struct iovec, iov_len), "iovec len");

struct spw_ring {
    struct io_uring ring;
};

int spw_uring_available(int *error_out) {
    struct io_uring ring;
    int rc = io_uring_queue_init(2, &ring, 0);
    if (rc < 0) {
        if (error_out) *error_out = -rc;
        return 0;
    }
    io_uring_queue_exit(&ring);
    if (error_out) *error_out = 0;
    return 1;
}

int spw_ring_create(unsigned entries, unsigned setup_flags, spw_ring **ring_out) {
    if (ring_out == NULL || entries == 0) return -EINVAL;
    *ring_out = NULL;
    spw_ring *r = calloc(1, sizeof *r);
    if (r == NULL) return -ENOMEM;
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    if (setup_flags & SPW_SETUP_CLAMP) params.flags |= IORING_SETUP_CLAMP;
    if (setup_flags & SPW_SETUP_COOP_TASKRUN) params.flags |= IORING_SETUP_COOP_TASKRUN;
    if (setup_flags & SPW_SETUP_SINGLE_ISSUER) params.flags |= IORING_SETUP_SINGLE_ISSUER;
    int rc = io_uring_queue_init_params(entries, &r->ring, &params);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *ring_out = r;
    return 0;
}

void spw_ring_destroy(spw_ring *ring) {
    if (ring == NULL) return;
    io_uring_queue_exit(&ring->ring);
    free(ring);
}

unsigned spw_ring_sq_entries(const spw_ring *ring) { return ring->ring.sq.ring_entries; }
unsigned spw_ring_cq_entries(const spw_ring *ring) { return ring->ring.cq.ring_entries; }

int spw_ring_register_buffers(spw_ring *ring, const spw_buffer *buffers, unsigned count) {
    return io_uring_register_buffers(&ring->ring, (const struct iovec *)buffers, count);
}

int spw_ring_unregister_buffers(spw_ring *ring) {
    return io_uring_unregister_buffers(&ring->ring);
}

int spw_ring_register_files(spw_ring *ring, const int *fds, unsigned count) {
    return io_uring_register_files(&ring->ring, fds, count);
}

int spw_ring_update_files(spw_ring *ring, unsigned offset, const int *fds, unsigned count) {
    return io_uring_register_files_update(&ring->ring, offset, (int *)fds, count);
}

int spw_ring_unregister_files(spw_ring *ring) { return io_uring_unregister_files(&ring->ring); }

unsigned spw_ring_sq_space(const spw_ring *ring) {
    return io_uring_sq_space_left((struct io_uring *)&ring->ring);
}

unsigned spw_ring_sq_ready(const spw_ring *ring) {
    return io_uring_sq_ready((struct io_uring *)&ring->ring);
}

/// Takes one SQE and sets the fields every request shares; NULL when the queue is full.
static struct io_uring_sqe *take_sqe(spw_ring *ring) {
    return io_uring_get_sqe(&ring->ring);
}

static void finish_sqe(struct io_uring_sqe *sqe, uint64_t user_data, unsigned sqe_flags) {
    unsigned flags = 0;
    if (sqe_flags & SPW_SQE_FIXED_FILE) flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_flags(sqe, flags);
    io_uring_sqe_set_data64(sqe, user_data);
}

int spw_ring_prep_read(spw_ring *ring, int fd, void *buffer, unsigned length, uint64_t offset,
                       uint64_t user_data, unsigned sqe_flags) {
    struct io_uring_sqe *sqe = take_sqe(ring);
    if (sqe == NULL) return -EBUSY;
    io_uring_prep_read(sqe, fd, buffer, length, offset);
    finish_sqe(sqe, user_data, sqe_flags);
    return 0;
}

int spw_ring_prep_write(spw_ring *ring, int fd, const void *buffer, unsigned length,
                        uint64_t offset, uint64_t user_data, unsigned sqe_flags) {
    struct io_uring_sqe *sqe = take_sqe(ring);
    if (sqe == NULL) return -EBUSY;
    io_uring_prep_write(sqe, fd, buffer, length, offset);
    finish_sqe(sqe, user_data, sqe_flags);
    return 0;
}

int spw_ring_prep_readv(spw_ring *ring, int fd, const spw_buffer *buffers, unsigned count,
                        uint64_t offset, uint64_t user_data, unsigned sqe_flags) {
    struct io_uring_sqe *sqe = take_sqe(ring);
    if (sqe == NULL) return -EBUSY;
    io_uring_prep_readv(sqe, fd, (const struct iovec *)buffers, count, offset);
    finish_sqe(sqe, user_data, sqe_flags);
    return 0;
}

int spw_ring_prep_writev(spw_ring *ring, int fd, const spw_buffer *buffers, unsigned count,
                         uint64_t offset, uint64_t user_data, unsigned sqe_flags) {
    struct io_uring_sqe *sqe = take_sqe(ring);
    if (sqe == NULL) return -EBUSY;
    io_uring_prep_writev(sqe, fd, (const struct iovec *)buffers, count, offset);
    finish_sqe(sqe, user_data, sqe_flags);
    return 0;
}

int spw_ring_prep_read_fixed(spw_ring *ring, int fd, void *buffer, unsigned length,
                             uint64_t offset, int buffer_index, uint64_t user_data,
                             unsigned sqe_flags) {
    struct io_uring_sqe *sqe = take_sqe(ring);
    if (sqe == NULL) return -EBUSY;
    io_uring_prep_read_fixed(sqe, fd, buffer, length, offset, buffer_index);
    finish_sqe(sqe, user_data, sqe_flags);
    return 0;
}

int spw_ring_prep_write_fixed(spw_ring *ring, int fd, const void *buffer, unsigned length,
                              uint64_t offset, int buffer_index, uint64_t user_data,
                              unsigned sqe_flags) {
    struct io_uring_sqe *sqe = take_sqe(ring);
    if (sqe == NULL) return -EBUSY;
    io_uring_prep_write_fixed(sqe, fd, buffer, length, offset, buffer_index);
    finish_sqe(sqe, user_data, sqe_flags);
    return 0;
}

int spw_ring_prep_fsync(spw_ring *ring, int fd, int datasync, uint64_t user_data,
                        unsigned sqe_flags) {
    struct io_uring_sqe *sqe = take_sqe(ring);
    if (sqe == NULL) return -EBUSY;
    io_uring_prep_fsync(sqe, fd, datasync ? IORING_FSYNC_DATASYNC : 0);
    finish_sqe(sqe, user_data, sqe_flags);
    return 0;
}

int spw_ring_submit(spw_ring *ring) { return io_uring_submit(&ring->ring); }

int spw_ring_submit_and_wait(spw_ring *ring, unsigned wait_count) {
    return io_uring_submit_and_wait(&ring->ring, wait_count);
}

unsigned spw_ring_reap(spw_ring *ring, spw_completion *out, unsigned capacity) {
    unsigned head;
    unsigned count = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(&ring->ring, head, cqe) {
        if (count == capacity) break;
        out[count].user_data = io_uring_cqe_get_data64(cqe);
        out[count].result = cqe->res;
        out[count].flags = cqe->flags;
        count++;
    }
    if (count > 0) io_uring_cq_advance(&ring->ring, count);
    return count;
}

unsigned spw_ring_cq_ready(const spw_ring *ring) {
    return io_uring_cq_ready((struct io_uring *)&ring->ring);
}

int spw_ring_wait(spw_ring *ring, unsigned count) {
    if (count == 0) return 0;
    struct io_uring_cqe *cqe = NULL;
    return io_uring_wait_cqe_nr(&ring->ring, &cqe, count);
}

int spw_ring_probe_opcode(spw_ring *ring, spw_opcode opcode) {
    int op;
    switch (opcode) {
    case SPW_OP_READ: op = IORING_OP_READ; break;
    case SPW_OP_WRITE: op = IORING_OP_WRITE; break;
    case SPW_OP_READV: op = IORING_OP_READV; break;
    case SPW_OP_WRITEV: op = IORING_OP_WRITEV; break;
    case SPW_OP_READ_FIXED: op = IORING_OP_READ_FIXED; break;
    case SPW_OP_WRITE_FIXED: op = IORING_OP_WRITE_FIXED; break;
    case SPW_OP_FSYNC: op = IORING_OP_FSYNC; break;
    default: return -EINVAL;
    }
    struct io_uring_probe *probe = io_uring_get_probe_ring(&ring->ring);
    if (probe == NULL) return -EOPNOTSUPP;
    int supported = io_uring_opcode_supported(probe, op) ? 1 : 0;
    io_uring_free_probe(probe);
    return supported;
}
