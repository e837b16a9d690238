#include "ckernels.h"
#include <math.h>
#include <string.h>

// Cephes-style exp: x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n built in
// the exponent bits. n is found with the 1.5·2^23 rounding trick, so no float→int conversion.
static inline float exp_inline(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    float shifted = x * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int bits;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float sigmoid_inline(float x) { return 1.0f / (1.0f + exp_inline(-x)); }
static inline float tanh_inline(float x) { return 2.0f / (1.0f + exp_inline(-2.0f * x)) - 1.0f; }

float ck_exp(float x) { return exp_inline(x); }
float ck_sigmoid(float x) { return sigmoid_inline(x); }
float ck_tanh(float x) { return tanh_inline(x); }

void ck_lstm_forward(float *restrict gates, const float *restrict bias, long h, const float *c_prev, float *c,
                     float *restrict tanh_c, float *restrict h_out) {
    float *restrict gi = gates, *restrict gf = gates + h, *restrict gg = gates + 2 * h, *restrict go = gates + 3 * h;
    const float *restrict bi = bias, *restrict bf = bias + h, *restrict bg = bias + 2 * h, *restrict bo = bias + 3 * h;
    for (long j = 0; j < h; j++) {
        float i = sigmoid_inline(gi[j] + bi[j]);
        float f = sigmoid_inline(gf[j] + bf[j]);
        float g = tanh_inline(gg[j] + bg[j]);
        float o = sigmoid_inline(go[j] + bo[j]);
        float cell = f * c_prev[j] + i * g;
        float t = tanh_inline(cell);
        gi[j] = i; gf[j] = f; gg[j] = g; go[j] = o;
        c[j] = cell;
        tanh_c[j] = t;
        h_out[j] = o * t;
    }
}

void ck_lstm_backward(const float *restrict gates, long h, const float *restrict c_prev,
                      const float *restrict tanh_c, const float *restrict dh, float *restrict dc,
                      float *restrict dgates) {
    const float *gi = gates, *gf = gates + h, *gg = gates + 2 * h, *go = gates + 3 * h;
    float *restrict di = dgates, *restrict df = dgates + h, *restrict dg = dgates + 2 * h, *restrict d_o = dgates + 3 * h;
    for (long j = 0; j < h; j++) {
        float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tanh_c[j], dhj = dh[j];
        float dcell = dc[j] + dhj * o * (1.0f - t * t);
        di[j] = dcell * g * i * (1.0f - i);
        df[j] = dcell * c_prev[j] * f * (1.0f - f);
        dg[j] = dcell * i * (1.0f - g * g);
        d_o[j] = dhj * t * o * (1.0f - o);
        dc[j] = dcell * f;
    }
}

double ck_softmax_xent(const float *restrict logits, long v, long target, float *restrict gradient, float scale) {
    float maximum = -INFINITY;
    for (long j = 0; j < v; j++) maximum = fmaxf(maximum, logits[j]);
    float sum = 0.0f;
    if (gradient) {
        for (long j = 0; j < v; j++) {
            float e = exp_inline(logits[j] - maximum);
            gradient[j] = e;
            sum += e;
        }
        float inverse = scale / sum;
        for (long j = 0; j < v; j++) gradient[j] *= inverse;
        gradient[target] -= scale;
    } else {
        for (long j = 0; j < v; j++) sum += exp_inline(logits[j] - maximum);
    }
    return log((double)sum) + (double)maximum - (double)logits[target];
}

// 16 floats; with -march=native this is one AVX-512 register or two AVX2 registers.
typedef float v16 __attribute__((vector_size(64)));

static inline v16 load16(const float *p) { v16 v; memcpy(&v, p, sizeof v); return v; }
static inline void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }
static inline v16 splat16(float x) { return (v16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

// C[rows i..i+R, columns j..j+32] += A[i.., 0..k] · B[0..k, j..j+32] for R ≤ 4 rows.
static inline void block_32(long rows, long k, const float *a, long lda, const float *b, long ldb,
                            float *c, long ldc) {
    v16 acc[4][2];
    for (long r = 0; r < 4; r++) acc[r][0] = acc[r][1] = splat16(0.0f);
    for (long p = 0; p < k; p++) {
        v16 b0 = load16(b + p * ldb), b1 = load16(b + p * ldb + 16);
        for (long r = 0; r < rows; r++) {
            v16 x = splat16(a[r * lda + p]);
            acc[r][0] += x * b0;
            acc[r][1] += x * b1;
        }
    }
    for (long r = 0; r < rows; r++) {
        store16(c + r * ldc, load16(c + r * ldc) + acc[r][0]);
        store16(c + r * ldc + 16, load16(c + r * ldc + 16) + acc[r][1]);
    }
}

// The same for one 16-column strip.
static inline void block_16(long rows, long k, const float *a, long lda, const float *b, long ldb,
                            float *c, long ldc) {
    v16 acc[4];
    for (long r = 0; r < 4; r++) acc[r] = splat16(0.0f);
    for (long p = 0; p < k; p++) {
        v16 b0 = load16(b + p * ldb);
        for (long r = 0; r < rows; r++) acc[r] += splat16(a[r * lda + p]) * b0;
    }
    for (long r = 0; r < rows; r++) store16(c + r * ldc, load16(c + r * ldc) + acc[r]);
}

void ck_gemm_accumulate(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                        float *c, long ldc) {
    // A panel of B of about 128 KiB stays in L2 while every row block of A streams past it.
    long panel = (32768 / (k > 0 ? k : 1)) / 32 * 32;
    if (panel < 32) panel = 32;
    for (long j0 = 0; j0 < n; j0 += panel) {
        long j1 = j0 + panel < n ? j0 + panel : n;
        for (long i = 0; i < m; i += 4) {
            long rows = m - i < 4 ? m - i : 4;
            const float *ai = a + i * lda;
            float *ci = c + i * ldc;
            long j = j0;
            for (; j + 32 <= j1; j += 32) block_32(rows, k, ai, lda, b + j, ldb, ci + j, ldc);
            for (; j + 16 <= j1; j += 16) block_16(rows, k, ai, lda, b + j, ldb, ci + j, ldc);
            for (; j < j1; j++) {
                for (long r = 0; r < rows; r++) {
                    float sum = 0.0f;
                    for (long p = 0; p < k; p++) sum += ai[r * lda + p] * b[p * ldb + j];
                    ci[r * ldc + j] += sum;
                }
            }
        }
    }
}
