// Fused elementwise kernels of the LSTM and the softmax loss, in C so the compiler vectorises
// them across the units (Swift's optimiser leaves these transcendental loops scalar). Every
// kernel works on one row (one stream at one time step); the callers own threading and layout.
#ifndef CHARLSTM_CKERNELS_H
#define CHARLSTM_CKERNELS_H

/// e^x for |x| ≤ 87 (clamped beyond), relative error < 3e-7.
float ck_exp(float x);
float ck_sigmoid(float x);
float ck_tanh(float x);

/// LSTM step for one row. `gates` holds the 4h pre-activations (blocks i, f, g, o, bias not
/// yet added) and receives the activated gates; c = f·c_prev + i·g, tanh_c = tanh(c),
/// h_out = o·tanh_c. `c_prev` may equal `c`.
void ck_lstm_forward(float *gates, const float *bias, long h, const float *c_prev, float *c,
                     float *tanh_c, float *h_out);

/// Backward of `ck_lstm_forward` for one row: from the activated `gates`, `c_prev`, `tanh_c`
/// and dL/dh, and dL/dc(t) in `dc` (from step t+1), writes dL/d(pre-activation) into
/// `dgates` and replaces `dc` with dL/dc(t−1).
void ck_lstm_backward(const float *gates, long h, const float *c_prev, const float *tanh_c,
                      const float *dh, float *dc, float *dgates);

/// Softmax cross-entropy of one row of `v` logits against `target`: returns
/// log Σ e^(logit − max) + max − logit[target] (in double). When `gradient` is not NULL,
/// writes (softmax − onehot(target))·scale into it.
double ck_softmax_xent(const float *logits, long v, long target, float *gradient, float scale);

/// C (m×n) += A (m×k) · B (k×n), all row-major with row strides lda, ldb, ldc.
///
/// For the small, repeated products inside the recurrent time loop (a few dozen rows times a
/// weight matrix), where a general BLAS spends more time re-packing the weight matrix on every
/// call than multiplying. B is read in place, one L2-sized panel of columns at a time, and C is
/// accumulated in registers in 4×32 blocks.
void ck_gemm_accumulate(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                        float *c, long ldc);
#endif
