// CRC32C, LZ4 wrappers and the byte-shuffle filter: the compute kernels of the disk tier.
#include "spw_compute.h"

#include <lz4.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

// ---- CRC32C ---------------------------------------------------------------------------

static uint32_t crc32c_table[8][256];
static int crc32c_mode = -1; // -1 unknown, 0 table, 1 hardware

static void crc32c_init_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : (c >> 1);
        crc32c_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = crc32c_table[0][i];
        for (int t = 1; t < 8; t++) {
            c = crc32c_table[0][c & 0xFF] ^ (c >> 8);
            crc32c_table[t][i] = c;
        }
    }
}

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= crc;
        crc = crc32c_table[7][v & 0xFF] ^ crc32c_table[6][(v >> 8) & 0xFF] ^
              crc32c_table[5][(v >> 16) & 0xFF] ^ crc32c_table[4][(v >> 24) & 0xFF] ^
              crc32c_table[3][(v >> 32) & 0xFF] ^ crc32c_table[2][(v >> 40) & 0xFF] ^
              crc32c_table[1][(v >> 48) & 0xFF] ^ crc32c_table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = crc32c_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

// ---- CRC32C: three interleaved streams, optionally fused with a copy ----------------------
//
// The crc32 instruction has a 3-cycle latency and a 1-cycle throughput, so one dependent
// stream runs at a third of the unit's speed. Three streams over thirds of the buffer run
// in parallel and are combined with a multiplication by x^(8n) mod P (the CRC of a message
// is linear: R(r, A||B) = R(r, A) * x^(8|B|) ^ R(0, B) in the register form).

#define SPW_CRC32C_POLY 0x82F63B78u

// a * b mod P in the reflected representation (bit 31 = x^0).
static uint32_t crc32c_multmodp(uint32_t a, uint32_t b) {
    uint32_t m = (uint32_t)1 << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = (b & 1) ? (b >> 1) ^ SPW_CRC32C_POLY : b >> 1;
    }
    return p;
}

// x^(2^k) mod P for k = 0..31.
static uint32_t crc32c_x2n_table[32];

static void crc32c_init_x2n(void) {
    uint32_t p = (uint32_t)1 << 30; // x^1
    crc32c_x2n_table[0] = p;
    for (int n = 1; n < 32; n++) crc32c_x2n_table[n] = p = crc32c_multmodp(p, p);
}

// x^(n * 2^k) mod P.
static uint32_t crc32c_x2nmodp(uint64_t n, unsigned k) {
    uint32_t p = (uint32_t)1 << 31; // x^0
    while (n) {
        if (n & 1) p = crc32c_multmodp(crc32c_x2n_table[k & 31], p);
        n >>= 1;
        k++;
    }
    return p;
}

// The operator that shifts a CRC register over `bytes` zero bytes, cached per thread for the
// last length (rows of one size repeat it).
static uint32_t crc32c_shift_operator(size_t bytes) {
    static __thread size_t cached_bytes = 0;
    static __thread uint32_t cached_op = 0;
    if (cached_bytes != bytes || cached_op == 0) {
        cached_op = crc32c_x2nmodp(bytes, 3);
        cached_bytes = bytes;
    }
    return cached_op;
}

#if defined(__x86_64__)
// CRC32C register update over `n` bytes of `p`; with `copy`, also stores them to `d`. Three
// streams over the first 3 * block bytes, one stream for the rest.
__attribute__((target("sse4.2"))) static inline uint32_t
crc32c_hw_streams(uint32_t crc, const uint8_t *p, uint8_t *d, size_t n, const int copy) {
    uint64_t c = crc;
    if (n >= 3 * 1024) {
        size_t block = (n / 3) & ~(size_t)63;
        const uint8_t *p1 = p + block, *p2 = p + 2 * block;
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < block; i += 16) {
            uint64_t a0, a1, b0, b1, e0, e1;
            memcpy(&a0, p + i, 8);
            memcpy(&b0, p1 + i, 8);
            memcpy(&e0, p2 + i, 8);
            memcpy(&a1, p + i + 8, 8);
            memcpy(&b1, p1 + i + 8, 8);
            memcpy(&e1, p2 + i + 8, 8);
            c = __builtin_ia32_crc32di(c, a0);
            c1 = __builtin_ia32_crc32di(c1, b0);
            c2 = __builtin_ia32_crc32di(c2, e0);
            c = __builtin_ia32_crc32di(c, a1);
            c1 = __builtin_ia32_crc32di(c1, b1);
            c2 = __builtin_ia32_crc32di(c2, e1);
            if (copy) {
                memcpy(d + i, &a0, 8);
                memcpy(d + i + 8, &a1, 8);
                memcpy(d + block + i, &b0, 8);
                memcpy(d + block + i + 8, &b1, 8);
                memcpy(d + 2 * block + i, &e0, 8);
                memcpy(d + 2 * block + i + 8, &e1, 8);
            }
        }
        uint32_t op = crc32c_shift_operator(block);
        uint32_t r = crc32c_multmodp(op, (uint32_t)c) ^ (uint32_t)c1;
        c = crc32c_multmodp(op, r) ^ (uint32_t)c2;
        p += 3 * block;
        if (copy) d += 3 * block;
        n -= 3 * block;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        if (copy) {
            memcpy(d, &w, 8);
            d += 8;
        }
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) {
        if (copy) *d++ = *p;
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    }
    return c32;
}
#endif

static void crc32c_init(void) {
    crc32c_init_table();
    crc32c_init_x2n();
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc32c_mode = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
    crc32c_mode = 0;
#endif
}

uint32_t spw_crc32c(uint32_t crc, const void *data, size_t length) {
    // Benign race: every thread computes the same table and mode.
    if (__atomic_load_n(&crc32c_mode, __ATOMIC_ACQUIRE) < 0) {
        crc32c_init();
    }
    crc = ~crc;
#if defined(__x86_64__)
    if (crc32c_mode == 1) return ~crc32c_hw_streams(crc, (const uint8_t *)data, NULL, length, 0);
#endif
    return ~crc32c_sw(crc, (const uint8_t *)data, length);
}

uint32_t spw_copy_crc32c(uint32_t crc, void *dst, const void *src, size_t length) {
    if (__atomic_load_n(&crc32c_mode, __ATOMIC_ACQUIRE) < 0) {
        crc32c_init();
    }
    crc = ~crc;
#if defined(__x86_64__)
    if (crc32c_mode == 1)
        return ~crc32c_hw_streams(crc, (const uint8_t *)src, (uint8_t *)dst, length, 1);
#endif
    memcpy(dst, src, length);
    return ~crc32c_sw(crc, (const uint8_t *)dst, length);
}

int spw_crc32c_is_hardware(void) {
    if (crc32c_mode < 0) crc32c_init();
    return crc32c_mode == 1;
}

// ---- LZ4 ------------------------------------------------------------------------------

int spw_lz4_bound(int input_size) { return LZ4_compressBound(input_size); }

int spw_lz4_compress(const void *src, void *dst, int src_size, int capacity, int acceleration) {
    return LZ4_compress_fast((const char *)src, (char *)dst, src_size, capacity,
                             acceleration < 1 ? 1 : acceleration);
}

int spw_lz4_decompress(const void *src, void *dst, int src_size, int capacity) {
    return LZ4_decompress_safe((const char *)src, (char *)dst, src_size, capacity);
}

// ---- Byte shuffle ---------------------------------------------------------------------
//
// The 2-byte case (bf16/fp16) is the one the disk tier uses; the plain byte loop compiled to
// ~0.3 GB/s (strided stores, not vectorised). SSE2 (baseline on x86-64) packs 16 elements
// (32 bytes) per step.
static void shuffle2(const uint8_t *s, uint8_t *d, size_t count) {
    uint8_t *lo = d, *hi = d + count;
    size_t i = 0;
#if defined(__x86_64__)
    const __m128i mask = _mm_set1_epi16(0x00FF);
    for (; i + 16 <= count; i += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(s + 2 * i));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(s + 2 * i + 16));
        __m128i l = _mm_packus_epi16(_mm_and_si128(v0, mask), _mm_and_si128(v1, mask));
        __m128i h = _mm_packus_epi16(_mm_srli_epi16(v0, 8), _mm_srli_epi16(v1, 8));
        _mm_storeu_si128((__m128i *)(lo + i), l);
        _mm_storeu_si128((__m128i *)(hi + i), h);
    }
#endif
    for (; i < count; i++) {
        lo[i] = s[2 * i];
        hi[i] = s[2 * i + 1];
    }
}

static void unshuffle2(const uint8_t *s, uint8_t *d, size_t count) {
    const uint8_t *lo = s, *hi = s + count;
    size_t i = 0;
#if defined(__x86_64__)
    for (; i + 16 <= count; i += 16) {
        __m128i l = _mm_loadu_si128((const __m128i *)(lo + i));
        __m128i h = _mm_loadu_si128((const __m128i *)(hi + i));
        _mm_storeu_si128((__m128i *)(d + 2 * i), _mm_unpacklo_epi8(l, h));
        _mm_storeu_si128((__m128i *)(d + 2 * i + 16), _mm_unpackhi_epi8(l, h));
    }
#endif
    for (; i < count; i++) {
        d[2 * i] = lo[i];
        d[2 * i + 1] = hi[i];
    }
}

void spw_shuffle(const void *src, void *dst, size_t length, size_t element_size) {
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    size_t count = length / element_size;
    if (element_size == 2) {
        shuffle2(s, d, count);
        return;
    }
    for (size_t b = 0; b < element_size; b++)
        for (size_t i = 0; i < count; i++) d[b * count + i] = s[i * element_size + b];
}

void spw_unshuffle(const void *src, void *dst, size_t length, size_t element_size) {
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    size_t count = length / element_size;
    if (element_size == 2) {
        unshuffle2(s, d, count);
        return;
    }
    for (size_t b = 0; b < element_size; b++)
        for (size_t i = 0; i < count; i++) d[i * element_size + b] = s[b * count + i];
}
