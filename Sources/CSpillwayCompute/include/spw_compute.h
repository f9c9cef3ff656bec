// Pure computation used by the core layer: CRC32C, LZ4, byte shuffle, a cache prefetch
// hint. No syscalls, no
// global state beyond a once-initialised CPU feature flag.
#ifndef SPW_COMPUTE_H
#define SPW_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CRC32C (Castagnoli) of `length` bytes, continuing from `crc` (pass 0 to start).
/// Uses the SSE4.2 crc32 instruction when the CPU has it (three interleaved streams,
/// combined), a table otherwise.
uint32_t spw_crc32c(uint32_t crc, const void *data, size_t length);

/// Copies `length` bytes from `src` to `dst` (not overlapping) and returns their CRC32C,
/// continuing from `crc`, in one pass over the bytes (the hardware path checksums three
/// interleaved streams as it copies).
uint32_t spw_copy_crc32c(uint32_t crc, void *dst, const void *src, size_t length);

/// 1 when the hardware CRC32C path is in use.
int spw_crc32c_is_hardware(void);

/// Upper bound of LZ4 output for `input_size` bytes (LZ4_compressBound).
int spw_lz4_bound(int input_size);

/// LZ4 fast compression at `acceleration` (1 = default). Returns the compressed size, or 0
/// when the output did not fit in `capacity`.
int spw_lz4_compress(const void *src, void *dst, int src_size, int capacity, int acceleration);

/// LZ4 safe decompression. Returns the decompressed size or a negative value on malformed
/// input; never writes past `capacity`.
int spw_lz4_decompress(const void *src, void *dst, int src_size, int capacity);

/// Byte shuffle for `element_size`-byte elements: all byte 0s, then all byte 1s, ...
/// `length` must be a multiple of `element_size`. `src` and `dst` must not overlap.
void spw_shuffle(const void *src, void *dst, size_t length, size_t element_size);

/// Inverse of spw_shuffle.
void spw_unshuffle(const void *src, void *dst, size_t length, size_t element_size);

/// Hints that `address` will be read soon (a cache prefetch; never faults). Inline, so a
/// Swift caller compiles it to one instruction.
static inline __attribute__((always_inline)) void spw_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#ifdef __cplusplus
}
#endif
#endif
