// The reduced-precision products declared in reduced_precision.h.
//
// Each output is one dot product of a weight row with an activation row: the weights are
// widened to fp32 a vector at a time and multiplied into one fp32 vector accumulator per
// (row, stream), summed across its lanes at the end in a fixed order. A tile works on R rows
// and S streams at once, so every widened weight vector serves S streams and every activation
// vector R rows: one stream runs 8 rows at a time (8 independent FMA chains hide the latency),
// several run 4 rows by up to 4 streams (AVX-512's 32 registers: 16 accumulators, 4
// activations, the weights) or 2 (AVX2's 16). The tile shape changes which outputs are summed
// together, never the order of one output's sum, so results do not depend on it.
//
// The instruction set is chosen when the file is compiled (the project builds for the CPU it
// runs on, see Package.swift): AVX-512, else AVX2 + FMA (Haswell, Zen), else portable C.
#include "reduced_precision.h"
#include <math.h>
#include <string.h>

long ck_rp_stride(long cols) { return (cols + 15) / 16 * 16; }

void ck_int8_quantise_rows(const float *w, long rows, long cols, long w_stride, int8_t *q, float *scales) {
    long stride = ck_rp_stride(cols);
    for (long r = 0; r < rows; r++) {
        const float *row = w + r * w_stride;
        float largest = 0;
        for (long k = 0; k < cols; k++) largest = fmaxf(largest, fabsf(row[k]));
        float inverse = largest > 0 ? 127.0f / largest : 0;
        scales[r] = largest / 127.0f;
        int8_t *out = q + r * stride;
        memset(out, 0, (size_t)stride);
        for (long k = 0; k < cols; k++) out[k] = (int8_t)fmaxf(-127.0f, fminf(127.0f, nearbyintf(row[k] * inverse)));
    }
}

void ck_bf16_round_rows(const float *w, long rows, long cols, long w_stride, uint16_t *out) {
    long stride = ck_rp_stride(cols);
    for (long r = 0; r < rows; r++) {
        uint16_t *o = out + r * stride;
        memset(o, 0, (size_t)stride * sizeof *o);
        for (long k = 0; k < cols; k++) {
            uint32_t bits;
            memcpy(&bits, w + r * w_stride + k, sizeof bits);
            if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {  // NaN: keep it one (quiet), whatever the low bits
                o[k] = (uint16_t)((bits >> 16) | 0x40);
                continue;
            }
            bits += 0x7FFFu + ((bits >> 16) & 1u);
            o[k] = (uint16_t)(bits >> 16);
        }
    }
}

#if defined(__AVX512F__)
#include <immintrin.h>
#define ISA "AVX-512"
#define VLEN 16
#define GROUP 4
typedef __m512 vec;
static inline vec v_zero(void) { return _mm512_setzero_ps(); }
static inline vec v_load(const float *p) { return _mm512_loadu_ps(p); }
static inline vec v_fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline float v_sum(vec a) {
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
static inline vec v_int8(const int8_t *p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p))); }
static inline vec v_bf16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ISA "AVX2+FMA"
#define VLEN 8
#define GROUP 2
typedef __m256 vec;
static inline vec v_zero(void) { return _mm256_setzero_ps(); }
static inline vec v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline vec v_fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline float v_sum(vec a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
static inline vec v_int8(const int8_t *p) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p))); }
static inline vec v_bf16(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
#else
// Portable C: a vector of 8 floats as a struct; the compiler vectorises the lane loops for
// whatever the target has. The lanes are summed in the same tree as the AVX2 path's.
#define ISA "portable C"
#define VLEN 8
#define GROUP 2
typedef struct { float v[8]; } vec;
static inline vec v_zero(void) { vec r; for (int i = 0; i < 8; i++) r.v[i] = 0; return r; }
static inline vec v_load(const float *p) { vec r; for (int i = 0; i < 8; i++) r.v[i] = p[i]; return r; }
static inline vec v_fma(vec a, vec b, vec c) { for (int i = 0; i < 8; i++) c.v[i] += a.v[i] * b.v[i]; return c; }
static inline float v_sum(vec a) {
    return ((a.v[0] + a.v[4]) + (a.v[2] + a.v[6])) + ((a.v[1] + a.v[5]) + (a.v[3] + a.v[7]));
}
static inline vec v_int8(const int8_t *p) { vec r; for (int i = 0; i < 8; i++) r.v[i] = (float)p[i]; return r; }
static inline vec v_bf16(const uint16_t *p) {
    vec r;
    for (int i = 0; i < 8; i++) { uint32_t bits = (uint32_t)p[i] << 16; memcpy(&r.v[i], &bits, sizeof bits); }
    return r;
}
#endif

const char *ck_rp_isa(void) { return ISA; }

// R rows from `r` by S streams from `s`. Called with constant kind, R and S, so each use
// unrolls into its own loop with the accumulators in registers.
static inline __attribute__((always_inline)) void tile(const int kind, const int R, const int S, const ck_rp_product *p,
                                                       long stride, long r, long s) {
    vec acc[8][GROUP];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < S; j++) acc[i][j] = v_zero();
    for (long k = 0; k < stride; k += VLEN) {
        vec xv[GROUP];
        for (int j = 0; j < S; j++) xv[j] = v_load(p->x + (s + j) * p->ldx + k);
        for (int i = 0; i < R; i++) {
            vec w = kind == CK_RP_INT8   ? v_int8((const int8_t *)p->weights + (r + i) * stride + k)
                    : kind == CK_RP_BF16 ? v_bf16((const uint16_t *)p->weights + (r + i) * stride + k)
                                         : v_load((const float *)p->weights + (r + i) * stride + k);
            for (int j = 0; j < S; j++) acc[i][j] = v_fma(w, xv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < R; i++) {
        float scale = kind == CK_RP_INT8 ? p->scales[r + i] : 1.0f;
        for (int j = 0; j < S; j++) p->y[(s + j) * p->ldy + r + i] += scale * v_sum(acc[i][j]);
    }
}

static inline __attribute__((always_inline)) void rows(const int kind, const ck_rp_product *p, long begin, long end) {
    long stride = ck_rp_stride(p->cols), r = begin;
    if (p->streams == 1) {
        for (; r + 8 <= end; r += 8) tile(kind, 8, 1, p, stride, r, 0);
    } else {
        for (; r + 4 <= end; r += 4) {
            long s = 0;
            for (; s + GROUP <= p->streams; s += GROUP) tile(kind, 4, GROUP, p, stride, r, s);
            for (; s < p->streams; s++) tile(kind, 4, 1, p, stride, r, s);
        }
    }
    for (; r < end; r++)
        for (long s = 0; s < p->streams; s++) tile(kind, 1, 1, p, stride, r, s);
}

void ck_rp_multiply_rows(const ck_rp_product *p, long begin, long end) {
    switch (p->kind) {
    case CK_RP_INT8: rows(CK_RP_INT8, p, begin, end); return;
    case CK_RP_BF16: rows(CK_RP_BF16, p, begin, end); return;
    default: rows(CK_RP_FP32, p, begin, end); return;
    }
}

static void multiply_piece(void *context, long piece, long pieces) {
    const ck_rp_product *p = context;
    long blocks = (p->rows + 7) / 8;
    long begin = blocks * piece / pieces * 8, end = blocks * (piece + 1) / pieces * 8;
    if (end > p->rows) end = p->rows;
    if (begin < end) ck_rp_multiply_rows(p, begin, end);
}

void ck_rp_multiply(ck_pool *pool, long pieces, const ck_rp_product *product) {
    if (pool == NULL || pieces <= 1) {
        ck_rp_multiply_rows(product, 0, product->rows);
        return;
    }
    ck_pool_run(pool, pieces, multiply_piece, (void *)product);
}
