// Counting malloc interposer for the allocation probe: the executable that links this target
// defines malloc & co., so every caller (the Swift runtime included) goes through the counter.
#ifndef SPW_MALLOC_COUNT_H
#define SPW_MALLOC_COUNT_H

#include <stdint.h>

/// Starts counting (counters keep their values; reset them first).
void spw_malloc_count_enable(void);
/// Stops counting.
void spw_malloc_count_disable(void);
/// Zeroes the counters.
void spw_malloc_count_reset(void);
/// Allocating calls counted (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign, valloc, pvalloc) while enabled.
int64_t spw_malloc_count_allocations(void);
/// free calls with a non-null pointer counted while enabled.
int64_t spw_malloc_count_frees(void);
/// Prints a backtrace to stderr for each of the next `count` counted allocations
/// (diagnosis; 0 turns it off).
void spw_malloc_count_print_backtraces(int count);
/// 1 when this interposer's malloc is the one the process uses (set by its first call).
int spw_malloc_count_interposed(void);

/// Heap bytes in use per glibc's mallinfo2: malloc'd chunks of the main arena (uordblks)
/// plus mmap'd chunks (hblkhd, where large allocations go).
int64_t spw_malloc_heap_bytes_in_use(void);

#endif
