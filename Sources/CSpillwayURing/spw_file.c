// File-system helpers Swift cannot reach through Glibc (see include/spw_file.h).
#define _GNU_SOURCE
#include "spw_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

int spw_open_direct_flag(void) { return O_DIRECT; }

int spw_open_tmpfile_flag(void) { return O_TMPFILE; }

int spw_fallocate(int fd, int64_t offset, int64_t length) {
    // A signal can interrupt a long allocation; retry a bounded number of times (100: a
    // signal storm that interrupts every one of them is a problem to report, not to hide).
    for (int attempt = 0; attempt < 100; attempt++) {
        if (fallocate(fd, 0, (off_t)offset, (off_t)length) == 0) return 0;
        if (errno != EINTR) return -errno;
    }
    return -EINTR;
}

int spw_stdout_flush(void) {
    // Swift 6 cannot name the C global `stdout` (shared mutable state), so the flush and the
    // sticky error flag are read here.
    int flushed = fflush(stdout);
    return (flushed != 0 || ferror(stdout) != 0) ? -1 : 0;
}
