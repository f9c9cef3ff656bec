/* spillway.h: the C ABI of Spillway's disk tier (libspillway_c.so).
 *
 * A tier stores and loads whole rows of caller-owned memory (base address, row stride,
 * row count: vLLM's primary view, row b = chunk b) to and from a persistent, capacity-
 * bounded, checksummed disk tier in one directory (or striped over several, one per
 * device), through io_uring. Lookups answer from memory at once; stores and loads are jobs
 * that a native I/O thread moves while the caller does other work; finished jobs are polled.
 *
 * Ownership:
 *  - The caller owns the row memory. It must stay mapped until spw_tier_close returns, and
 *    a row named by a job must stay untouched until that job's result has been polled
 *    (or spw_tier_drain returned).
 *  - Key, length and row arrays passed to a call are read during the call only.
 *  - A tier handle is created by spw_tier_open and released by spw_tier_free (after which
 *    it must not be used; calls with an unknown handle return SPW_E_INVALID_ARGUMENT).
 * Threads: every function may be called from any thread, concurrently, except that
 * spw_tier_free must not race other calls on the same handle. Only spw_tier_drain,
 * spw_tier_sync and spw_tier_close block on I/O.
 * Errors: functions return SPW_OK (0) or a negative SPW_E_* code; when `error` is not NULL
 * it receives the code and a NUL-terminated message that says what went wrong and what to
 * do. Bad arguments are errors, never crashes.
 */
#ifndef SPILLWAY_H
#define SPILLWAY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. Versions only grow: a library of version N takes every call
 * a client built against version M <= N makes (a grown struct is told apart by its
 * struct_size), so check spw_abi_version() >= SPW_ABI_VERSION at load time.
 *  1: the first.
 *  2: spw_tier_options grows to 56 bytes (extra_directories, extra_directory_count,
 *     reserved); the 40-byte version-1 struct is still accepted. A client that checked
 *     for exactly 1 (as the version-1 header said, and the Python package of version 1
 *     does) refuses this library: upgrade it with the library. */
#define SPW_ABI_VERSION 2u
uint32_t spw_abi_version(void);

#define SPW_OK 0
#define SPW_E_INVALID_ARGUMENT (-1)
#define SPW_E_DUPLICATE_JOB (-2)
#define SPW_E_CLOSED (-3)
#define SPW_E_OPEN_FAILED (-4)
#define SPW_E_IO (-5)
#define SPW_E_SYNC (-6)

#define SPW_KEY_BYTES_MAX 64u

typedef struct spw_error {
    int32_t code;
    char message[508];
} spw_error;

typedef struct spw_tier spw_tier;

enum { SPW_CODEC_NONE = 0, SPW_CODEC_LZ4 = 1, SPW_CODEC_LZ4_SHUFFLE2 = 2 };
enum { SPW_DIRECT_IO_AUTO = 0, SPW_DIRECT_IO_REQUIRED = 1, SPW_DIRECT_IO_OFF = 2 };
enum { SPW_JOB_STORE = 0, SPW_JOB_LOAD = 1 };
enum { SPW_MISS = 0, SPW_HIT = 1, SPW_PENDING = 2 };

/* Zero it, then set struct_size and what you need. */
typedef struct spw_tier_options {
    /* sizeof(spw_tier_options): lets later ABI versions grow the struct. spw_tier_open
     * takes 56 (this version) or 40 (version 1: the fields up to compression_threshold,
     * no extra directories) and refuses any other size. */
    uint32_t struct_size;
    uint32_t codec;                /* SPW_CODEC_* */
    uint32_t direct_io;            /* SPW_DIRECT_IO_* */
    uint32_t queue_depth;          /* blocks in flight, 1..4096; 0 = 64 */
    uint64_t capacity_bytes;       /* data file size for a new tier (split equally over its
                                      directories); 0 = open existing only */
    uint64_t sync_interval_blocks; /* durable checkpoint every N stored blocks; 0 = only on sync/close */
    double compression_threshold;  /* keep compressed only if <= this x raw; 0 = 0.9 */
    /* ABI 2. Further directories (one per device) the tier stripes its data over; the
     * `directory` of spw_tier_open is the home. Capacity is split equally over them all
     * (docs/DISK_FORMAT.md, "Several directories"). The list is fixed when the tier is
     * created: an open with another list or order fails (SPW_E_OPEN_FAILED) naming the
     * difference. NULL with a count of 0 = one directory. Each entry must be a non-empty
     * path, given once (not the home either), at most 63 (else SPW_E_INVALID_ARGUMENT,
     * before anything is created). Read during the call only. */
    const char *const *extra_directories;
    uint32_t extra_directory_count;
    uint32_t reserved;             /* must be 0 */
} spw_tier_options;

/* Opens (creating when capacity_bytes > 0 and none exists) the tier in `directory` (and the
 * options' extra directories) over `row_count` rows of `row_stride` bytes at `base`.
 * `options` may be NULL (defaults; opens an existing one-directory tier only). */
int32_t spw_tier_open(const char *directory, const spw_tier_options *options, void *base,
                      uint64_t row_stride, uint64_t row_count, spw_tier **tier_out,
                      spw_error *error);

/* Returns SPW_MISS, SPW_HIT or SPW_PENDING (a store of the key is in flight), or < 0. */
int32_t spw_tier_lookup(spw_tier *tier, const uint8_t *key, uint32_t key_length,
                        spw_error *error);

/* A job id must not be in use: submitted and not yet returned by spw_tier_poll
 * (SPW_E_DUPLICATE_JOB). Keys as one byte array plus lengths: key i is the key_lengths[i] bytes after keys
 * 0..i-1. Each key is 1..SPW_KEY_BYTES_MAX bytes. */
int32_t spw_tier_submit(spw_tier *tier, uint64_t job_id, int32_t kind,
                        const uint8_t *key_bytes, const uint32_t *key_lengths,
                        const int64_t *rows, uint64_t count, spw_error *error);

typedef struct spw_job_result {
    uint64_t job_id;
    int32_t kind;             /* SPW_JOB_* */
    int32_t success;          /* 1 when every key succeeded */
    uint64_t key_count;
    uint64_t succeeded_count;
    uint64_t bytes;           /* bytes moved to or from disk */
    uint64_t transfer_ns;     /* first transfer start to last completion */
} spw_job_result;

/* Takes up to `result_capacity` finished jobs, oldest first, into `results`, and their
 * per-key success flags (1/0, in each job's key order, job after job) into `key_success`,
 * as many whole jobs as fit in `key_success_capacity`. The rest stay for the next call. */
int32_t spw_tier_poll(spw_tier *tier, spw_job_result *results, uint64_t result_capacity,
                      uint8_t *key_success, uint64_t key_success_capacity,
                      uint64_t *result_count_out, spw_error *error);

/* Jobs whose transfers are running, and jobs submitted but not yet polled. */
int32_t spw_tier_pending(spw_tier *tier, uint64_t *running_out, uint64_t *unpolled_out,
                         spw_error *error);

/* Blocks until no transfer touches caller rows (finished jobs wait to be polled). */
int32_t spw_tier_drain(spw_tier *tier, spw_error *error);

/* Makes every block stored so far durable. */
int32_t spw_tier_sync(spw_tier *tier, spw_error *error);

typedef struct spw_tier_stats {
    uint64_t lookup_hits, lookup_misses, lookup_pending;
    uint64_t blocks_stored, blocks_store_skipped, blocks_store_failed;
    uint64_t blocks_loaded, blocks_load_failed, blocks_corrupt, blocks_evicted;
    uint64_t bytes_written, bytes_read, jobs_store, jobs_load, syncs;
    uint64_t blocks_held, bytes_used, capacity_bytes;
    uint64_t direct_io;       /* 1 when the data file uses O_DIRECT */
    uint64_t blocks_zero_copy_stored, blocks_zero_copy_loaded; /* moved with no staging copy */
    /* With compression: blocks kept compressed, blocks stored raw because every encode
     * thread was busy (compression never makes a store wait), and the capacity those cost
     * (bytes, estimated at the ratio the compressed blocks reached). */
    uint64_t blocks_compressed, blocks_stored_raw_backpressure, bytes_given_up_backpressure;
    /* With compression: blocks stored raw without an encode because the blocks before them
     * did not compress (a probe block still goes to the encoder now and then). */
    uint64_t blocks_stored_raw_incompressible;
} spw_tier_stats;

int32_t spw_tier_get_stats(spw_tier *tier, spw_tier_stats *stats_out, spw_error *error);

/* Keys that leave the tier (evicted to make room, or dropped after a failed load) are
 * recorded for spw_tier_take_removed while enabled (off by default). */
int32_t spw_tier_set_removal_events(spw_tier *tier, int32_t enabled, spw_error *error);

/* Takes up to `key_capacity` recorded removed keys, oldest first: key i goes to
 * key_bytes + i * SPW_KEY_BYTES_MAX, its length to key_lengths[i]. */
int32_t spw_tier_take_removed(spw_tier *tier, uint8_t *key_bytes, uint32_t *key_lengths,
                              uint64_t key_capacity, uint64_t *count_out, spw_error *error);

/* Finishes every job, syncs and closes the tier; later calls return SPW_E_CLOSED. */
int32_t spw_tier_close(spw_tier *tier, spw_error *error);

/* Closes if needed and releases the handle. NULL is allowed. */
void spw_tier_free(spw_tier *tier);

#ifdef __cplusplus
}
#endif
#endif /* SPILLWAY_H */
