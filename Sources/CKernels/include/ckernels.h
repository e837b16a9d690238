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
/// yet added) and receives the activated gates; c = f·c_prev + i·g, h_out = o·tanh(c), and
/// tanh(c) also goes to `tanh_c` unless it is NULL. `c_prev` may equal `c`.
void ck_lstm_forward(float *gates, const float *bias, long h, const float *c_prev, float *c,
                     float *tanh_c, float *h_out);

/// Backward of `ck_lstm_forward` for one row: from the activated `gates`, `c_prev`, `c` and
/// dL/dh, and dL/dc(t) in `dc` (from step t+1), writes dL/d(pre-activation) into `dgates`
/// (which may be `gates`: the activations are then replaced) and replaces `dc` with dL/dc(t−1).
void ck_lstm_backward(const float *gates, long h, const float *c_prev, const float *c,
                      const float *dh, float *dc, float *dgates);

/// Softmax cross-entropy of one row of `v` logits against `target`: returns
/// log Σ e^(logit − max) + max − logit[target] (in double). When `gradient` is not NULL,
/// writes (softmax − onehot(target))·scale into it.
double ck_softmax_xent(const float *logits, long v, long target, float *gradient, float scale);

/// Small products inside the recurrent time loop: a few dozen rows of state times a weight
/// matrix, thousands of times per training step. A general BLAS re-packs the weight matrix on
/// every call and spends more time copying than multiplying; here the weights are packed once
/// per pass with `ck_pack` and every product reads the packed panels.
///
/// Floats needed to pack a k×n matrix B (n rounded up to the panel width).
long ck_packed_count(long k, long n);

/// Packs B (k×n, element (p, j) at b[p·row_stride + j·column_stride]: pass column_stride 1 for
/// a row-major B, row_stride 1 for the transpose of a row-major matrix) into column panels.
void ck_pack(const float *b, long row_stride, long column_stride, long k, long n, float *packed);

/// C (m×n, row stride ldc) += A (m×k, row stride lda) · B, with B packed by `ck_pack`.
void ck_gemm_packed_accumulate(long m, long n, long k, const float *a, long lda, const float *packed,
                               float *c, long ldc);

#endif
