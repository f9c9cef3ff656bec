// liburing wrappers: the kernel side of the I/O seam.
#include "spw_uring.h"

#include <liburing.h>

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
