// File-system calls Swift's Glibc module does not export (they sit behind _GNU_SOURCE):
// O_DIRECT's and O_TMPFILE's values on this
// architecture and fallocate.
#ifndef SPW_FILE_H
#define SPW_FILE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The O_DIRECT open flag on this architecture (it differs between x86_64 and arm64).
int spw_open_direct_flag(void);

/// The O_TMPFILE open flag (an unnamed file in a directory, gone when closed).
int spw_open_tmpfile_flag(void);

/// fallocate(2) with mode 0 (allocate and extend the file size): 0 or -errno
/// (-EOPNOTSUPP when the file system cannot, -ENOSPC when the space is not there).
int spw_fallocate(int fd, int64_t offset, int64_t length);

/// Flushes the C `stdout` stream: 0, or -1 when the flush failed or an earlier write to it
/// did (its error flag is set; errno tells why).
int spw_stdout_flush(void);

#ifdef __cplusplus
}
#endif
#endif
