// Reduced-precision weights for sampling: matrices stored as int8 (one fp32 scale per output
// row) or bf16 (or fp32, for the decoder beside them), multiplied by fp32 activations. The weights are widened to fp32 in registers;
// activations, accumulation, cell state and softmax stay fp32, so there is no int8×int8
// product (AVX2's byte multiply-add saturates, and Zen 3 has no VNNI).
//
// A matrix has `rows` output rows of `cols` weights, stored row-major with a row stride of
// ck_rp_stride(cols) elements; the padding is zero, so the products need no tail loop (the
// activation rows they multiply must be zero there too).
#ifndef CHARLSTM_REDUCED_PRECISION_H
#define CHARLSTM_REDUCED_PRECISION_H

#include <stdint.h>
#include "worker_pool.h"

enum { CK_RP_FP32 = 0, CK_RP_INT8 = 1, CK_RP_BF16 = 2 };

/// The row stride, in elements, of a matrix with `cols` columns: `cols` rounded up to 16, so
/// every row is a whole number of vectors of any width (AVX-512's 16 floats at most).
long ck_rp_stride(long cols);

/// Quantises `w` (rows × cols, row stride `w_stride`) to int8 with one scale per row, the
/// row's largest magnitude mapping to ±127 (nearest integer): `q` (rows × ck_rp_stride(cols))
/// and `scales` (rows). A row of zeros gets scale 0.
void ck_int8_quantise_rows(const float *w, long rows, long cols, long w_stride, int8_t *q, float *scales);

/// Rounds `w` (rows × cols, row stride `w_stride`) to bf16, to nearest with ties to even (NaN
/// stays NaN), into `out` (rows × ck_rp_stride(cols)).
void ck_bf16_round_rows(const float *w, long rows, long cols, long w_stride, uint16_t *out);

/// One product: for every stream s < streams and row r < rows,
///     y[s·ldy + r] += scale[r] · Σ_k w[r][k] · x[s·ldx + k]        (scale 1 for bf16)
/// over k < ck_rp_stride(cols) (so x[s·ldx + k] must be readable, and zero from cols, that far). Each output is summed in the same order whatever the number
/// of streams and however the rows are split, so a stream's numbers never depend on the others
/// or on the thread count. The weights are read once for all streams.
typedef struct {
    int kind;              // CK_RP_FP32, CK_RP_INT8 or CK_RP_BF16
    long rows, cols;
    const void *weights;   // float, int8_t or uint16_t, rows × ck_rp_stride(cols)
    const float *scales;   // int8: one per row; bf16: unused
    long streams;
    const float *x;
    long ldx;
    float *y;
    long ldy;
} ck_rp_product;

/// Computes rows [row_begin, row_end) of `product` on the calling thread.
void ck_rp_multiply_rows(const ck_rp_product *product, long row_begin, long row_end);

/// `product` with its rows split into `pieces` ranges (starting on multiples of 8) run on
/// `pool`, or on the caller alone when `pool` is NULL or `pieces` ≤ 1.
void ck_rp_multiply(ck_pool *pool, long pieces, const ck_rp_product *product);

/// The instruction set the products were compiled for: "AVX-512", "AVX2+FMA" or "portable C".
const char *ck_rp_isa(void);

#endif
