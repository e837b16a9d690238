// Fused elementwise kernels of the recurrent cells and the softmax loss, in C so the compiler vectorises
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

/// GRU step for one row (PyTorch's nn.GRU). `gates` holds the 3h pre-activations, blocks r, z, n:
/// for r and z both the input and the hidden products, for n the input product only; `bias`
/// (3h) is added to them. `hidden_n` holds the n block's hidden side, W_hn·h_prev + b_hn, which
/// the reset gate scales: n = tanh(gates_n + bias_n + r·hidden_n). `gates` receives the activated
/// r, z, n, and h_out = (1 − z)·n + z·h_prev. `h_prev` may equal `h_out` (but not partly overlap it).
void ck_gru_forward(float *gates, const float *bias, long h, const float *hidden_n, const float *h_prev,
                    float *h_out);

/// Backward of `ck_gru_forward` for one row: from the activated `gates`, `hidden_n`, `h_prev`
/// and dL/dh(t) in `dh`, writes dL/d(pre-activation) into `dgates` (which may be `gates`; for
/// r and z it is also the gradient of their hidden side), dL/d(hidden_n) into `dhidden_n` (which
/// may be `hidden_n`), and z·dh, the part of dL/dh(t−1) that bypasses the weights, into `dh_prev`.
void ck_gru_backward(const float *gates, long h, const float *hidden_n, const float *h_prev, const float *dh,
                     float *dgates, float *dhidden_n, float *dh_prev);

/// Plain tanh RNN step for one row (PyTorch's nn.RNN): h_out = tanh(pre + bias).
void ck_rnn_forward(const float *pre, const float *bias, long h, float *h_out);

/// Backward of `ck_rnn_forward`: dpre = dh·(1 − h_out²). `dpre` may be `dh`.
void ck_rnn_backward(const float *h_out, long h, const float *dh, float *dpre);

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

/// The vector instruction set these kernels were compiled for: "AVX-512", "AVX2+FMA" or
/// "portable 128-bit" (what benchmarks print beside their figures).
const char *ck_vector_isa(void);

#endif
