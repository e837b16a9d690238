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
        if (tanh_c) tanh_c[j] = t;
        h_out[j] = o * t;
    }
}

void ck_lstm_backward(const float *gates, long h, const float *c_prev, const float *c, const float *dh,
                      float *dc, float *dgates) {
    const float *gi = gates, *gf = gates + h, *gg = gates + 2 * h, *go = gates + 3 * h;
    float *di = dgates, *df = dgates + h, *dg = dgates + 2 * h, *d_o = dgates + 3 * h;
    // `dgates` may be `gates` itself: each iteration reads its four gate values before writing
    // the four gradients at the same places, and no iteration touches another's, so the
    // vectoriser may ignore the apparent overlap.
#pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < h; j++) {
        float i = gi[j], f = gf[j], g = gg[j], o = go[j], dhj = dh[j];
        float t = tanh_inline(c[j]);
        float dcell = dc[j] + dhj * o * (1.0f - t * t);
        float cp = c_prev[j];
        di[j] = dcell * g * i * (1.0f - i);
        df[j] = dcell * cp * f * (1.0f - f);
        dg[j] = dcell * i * (1.0f - g * g);
        d_o[j] = dhj * t * o * (1.0f - o);
        dc[j] = dcell * f;
    }
}

void ck_gru_forward(float *restrict gates, const float *restrict bias, long h, const float *restrict hidden_n,
                    const float *h_prev, float *h_out) {
    float *restrict gr = gates, *restrict gz = gates + h, *restrict gn = gates + 2 * h;
    const float *restrict br = bias, *restrict bz = bias + h, *restrict bn = bias + 2 * h;
    // Batch-1 inference updates h in place (h_prev == h_out): each iteration reads h_prev[j]
    // before writing h_out[j] and touches no other element, so the vectoriser may ignore the
    // overlap (left to itself it falls back to scalar code whenever the pointers meet).
#pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < h; j++) {
        float r = sigmoid_inline(gr[j] + br[j]);
        float z = sigmoid_inline(gz[j] + bz[j]);
        float n = tanh_inline(gn[j] + bn[j] + r * hidden_n[j]);
        float previous = h_prev[j];
        gr[j] = r; gz[j] = z; gn[j] = n;
        h_out[j] = (1.0f - z) * n + z * previous;
    }
}

void ck_gru_backward(const float *gates, long h, const float *hidden_n, const float *h_prev, const float *dh,
                     float *dgates, float *dhidden_n, float *dh_prev) {
    const float *gr = gates, *gz = gates + h, *gn = gates + 2 * h;
    float *dr = dgates, *dz = dgates + h, *dn = dgates + 2 * h;
    // As in ck_lstm_backward: every iteration reads its own values before writing at the same
    // places, so the in-place overlap of dgates/gates and dhidden_n/hidden_n is safe.
#pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < h; j++) {
        float r = gr[j], z = gz[j], n = gn[j], hn = hidden_n[j], d = dh[j];
        float dn_pre = d * (1.0f - z) * (1.0f - n * n);
        dr[j] = dn_pre * hn * r * (1.0f - r);
        dz[j] = d * (h_prev[j] - n) * z * (1.0f - z);
        dn[j] = dn_pre;
        dhidden_n[j] = dn_pre * r;
        dh_prev[j] = d * z;
    }
}

void ck_rnn_forward(const float *restrict pre, const float *restrict bias, long h, float *restrict h_out) {
    for (long j = 0; j < h; j++) h_out[j] = tanh_inline(pre[j] + bias[j]);
}

void ck_rnn_backward(const float *h_out, long h, const float *dh, float *dpre) {
#pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < h; j++) dpre[j] = dh[j] * (1.0f - h_out[j] * h_out[j]);
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
