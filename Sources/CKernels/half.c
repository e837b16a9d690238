// Half-precision weights: the binary16 conversions and the matrix–vector product that reads them.
#include "ckernels.h"
#include <math.h>
#if defined(__AVX512F__) || defined(__F16C__)
#include <immintrin.h>
#endif

float ck_half_to_float(uint16_t h) {
#if defined(__F16C__)
    return _cvtsh_ss(h);
#else
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    float magnitude;
    if (exponent == 0) magnitude = ldexpf((float)mantissa, -24);
    else if (exponent == 31) magnitude = mantissa ? NAN : INFINITY;
    else magnitude = ldexpf((float)(mantissa | 0x400), (int)exponent - 25);
    union { float f; uint32_t u; } v = { magnitude };
    v.u |= sign;
    return v.f;
#endif
}

/// Round to nearest even, without F16C.
static uint16_t float_to_half_portable(float f) {
    union { float f; uint32_t u; } v = { f };
    uint16_t sign = (uint16_t)((v.u >> 16) & 0x8000);
    float a = fabsf(f);
    if (isnan(a)) return sign | 0x7e00;
    if (a >= 65520.0f) return sign | 0x7c00;
    if (a < 6.103515625e-05f) return sign | (uint16_t)lrintf(a * 16777216.0f);  // subnormal: units of 2^-24
    int e;
    float m = frexpf(a, &e);                             // a = m · 2^e, m in [0.5, 1)
    long q = lrintf(ldexpf(m, 11));                      // 11 significant bits, nearest even
    if (q == 2048) { q = 1024; e += 1; }
    if (e + 14 >= 31) return sign | 0x7c00;
    return sign | (uint16_t)(((e + 14) << 10) | (q & 0x3ff));
}

void ck_float_to_half(const float *src, uint16_t *dst, long count) {
    long i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= count; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < count; i++) {
#if defined(__F16C__)
        dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
#else
        dst[i] = float_to_half_portable(src[i]);
#endif
    }
}

void ck_gemv_rows_f16(const uint16_t *w, int rows, int cols, int col_begin, int col_end, const float *x, float *y) {
    int c = col_begin;
#if defined(__AVX512F__)
    // 128 columns at a time in eight accumulators: each row contributes 256 contiguous bytes,
    // and the eight independent FMA chains hide the FMA latency.
    for (; c + 128 <= col_end; c += 128) {
        __m512 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = _mm512_loadu_ps(y + c + 16 * j);
        const uint16_t *row = w + c;
        for (int r = 0; r < rows; r++, row += cols) {
            __m512 xr = _mm512_set1_ps(x[r]);
            for (int j = 0; j < 8; j++)
                acc[j] = _mm512_fmadd_ps(xr, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 16 * j))), acc[j]);
        }
        for (int j = 0; j < 8; j++) _mm512_storeu_ps(y + c + 16 * j, acc[j]);
    }
    for (; c + 16 <= col_end; c += 16) {
        __m512 acc = _mm512_loadu_ps(y + c);
        const uint16_t *row = w + c;
        for (int r = 0; r < rows; r++, row += cols)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(x[r]), _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)row)), acc);
        _mm512_storeu_ps(y + c, acc);
    }
#endif
    // The same fused multiply–add per row as the vector loops, so every column rounds alike.
    for (; c < col_end; c++) {
        float acc = y[c];
        for (int r = 0; r < rows; r++) acc = fmaf(x[r], ck_half_to_float(w[(long)r * cols + c]), acc);
        y[c] = acc;
    }
}
