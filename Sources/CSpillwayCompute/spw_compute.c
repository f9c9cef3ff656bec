// CRC32C, LZ4 wrappers and the byte-shuffle filter: the compute kernels of the disk tier.
#include "spw_compute.h"

#include <lz4.h>
#include <string.h>
#if defined(__SSE2__)
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

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p,
                                                             size_t n) {
    uint64_t c = crc;
    // One dependent stream unrolled by eight words; crc32q has 3-cycle latency, so this
    // runs near 8 bytes per 3 cycles, far above disk speed.
    while (n >= 64) {
        uint64_t w[8];
        memcpy(w, p, 64);
        c = __builtin_ia32_crc32di(c, w[0]);
        c = __builtin_ia32_crc32di(c, w[1]);
        c = __builtin_ia32_crc32di(c, w[2]);
        c = __builtin_ia32_crc32di(c, w[3]);
        c = __builtin_ia32_crc32di(c, w[4]);
        c = __builtin_ia32_crc32di(c, w[5]);
        c = __builtin_ia32_crc32di(c, w[6]);
        c = __builtin_ia32_crc32di(c, w[7]);
        p += 64;
        n -= 64;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

static void crc32c_init(void) {
    crc32c_init_table();
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
    if (crc32c_mode == 1) return ~crc32c_hw(crc, (const uint8_t *)data, length);
#endif
    return ~crc32c_sw(crc, (const uint8_t *)data, length);
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

void spw_shuffle(const void *src, void *dst, size_t length, size_t element_size) {
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    size_t count = length / element_size;
    if (element_size == 2) {
        uint8_t *lo = d, *hi = d + count;
        size_t i = 0;
#if defined(__SSE2__)
        // 16 elements (32 bytes) per step: mask/shift each 16-bit lane to its low or high
        // byte, then pack the two halves with unsigned saturation (values are <= 255).
        const __m128i low_mask = _mm_set1_epi16(0x00FF);
        for (; i + 16 <= count; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s + 2 * i));
            __m128i b = _mm_loadu_si128((const __m128i *)(s + 2 * i + 16));
            __m128i even = _mm_packus_epi16(_mm_and_si128(a, low_mask), _mm_and_si128(b, low_mask));
            __m128i odd = _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8));
            _mm_storeu_si128((__m128i *)(lo + i), even);
            _mm_storeu_si128((__m128i *)(hi + i), odd);
        }
#endif
        for (; i < count; i++) {
            lo[i] = s[2 * i];
            hi[i] = s[2 * i + 1];
        }
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
        const uint8_t *lo = s, *hi = s + count;
        size_t i = 0;
#if defined(__SSE2__)
        // 16 elements per step: interleave 16 low bytes with 16 high bytes.
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
        return;
    }
    for (size_t b = 0; b < element_size; b++)
        for (size_t i = 0; i < count; i++) d[i * element_size + b] = s[b * count + i];
}
