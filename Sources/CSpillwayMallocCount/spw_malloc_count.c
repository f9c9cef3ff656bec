// Defines malloc, calloc, realloc, free and the aligned variants, forwarding to glibc's
// __libc_* entry points and counting calls with relaxed atomics while enabled. Linked only
// into spillway-alloc-probe: ELF symbol interposition makes the executable's definitions win
// for every shared object in the process, so no LD_PRELOAD is needed.
#include "spw_malloc_count.h"

#include <errno.h>
#include <execinfo.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static atomic_int enabled = 0;
static atomic_int interposed = 0;
static atomic_llong allocations = 0;
static atomic_llong frees = 0;
static atomic_int backtraces_left = 0;
static _Thread_local int in_backtrace = 0;

static inline void count_allocation(void) {
    atomic_store_explicit(&interposed, 1, memory_order_relaxed);
    if (atomic_load_explicit(&enabled, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
        if (!in_backtrace && atomic_load_explicit(&backtraces_left, memory_order_relaxed) > 0) {
            // Diagnosis: print where counted allocations come from (stderr, raw addresses and
            // symbols; demangle with swift-demangle).
            in_backtrace = 1;
            atomic_fetch_sub_explicit(&backtraces_left, 1, memory_order_relaxed);
            void *frames[24];
            int depth = backtrace(frames, 24);
            backtrace_symbols_fd(frames, depth, 2);
            static const char separator[] = "----\n";
            (void)!write(2, separator, sizeof separator - 1);
            in_backtrace = 0;
        }
    }
}

void spw_malloc_count_print_backtraces(int count) {
    if (count > 0 && !in_backtrace) {
        // backtrace() loads libgcc_s on its first call (which allocates): do it now.
        in_backtrace = 1;
        void *frames[2];
        (void)backtrace(frames, 2);
        in_backtrace = 0;
    }
    atomic_store_explicit(&backtraces_left, count, memory_order_seq_cst);
}

void *malloc(size_t size) {
    count_allocation();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_allocation();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_allocation();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer != NULL && atomic_load_explicit(&enabled, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
    }
    __libc_free(pointer);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    count_allocation();
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) {
        return EINVAL;
    }
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    count_allocation();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count_allocation();
    return __libc_pvalloc(size);
}

void spw_malloc_count_enable(void) { atomic_store_explicit(&enabled, 1, memory_order_seq_cst); }
void spw_malloc_count_disable(void) { atomic_store_explicit(&enabled, 0, memory_order_seq_cst); }

void spw_malloc_count_reset(void) {
    atomic_store_explicit(&allocations, 0, memory_order_seq_cst);
    atomic_store_explicit(&frees, 0, memory_order_seq_cst);
}

int64_t spw_malloc_count_allocations(void) {
    return atomic_load_explicit(&allocations, memory_order_seq_cst);
}

int64_t spw_malloc_count_frees(void) { return atomic_load_explicit(&frees, memory_order_seq_cst); }

int spw_malloc_count_interposed(void) {
    return atomic_load_explicit(&interposed, memory_order_relaxed);
}

int64_t spw_malloc_heap_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return (int64_t)(info.uordblks + info.hblkhd);
}
