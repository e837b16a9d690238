// The small products inside the recurrent time loop (see ckernels.h): C += A·B with B packed once
// into column panels. A tile of C, MR rows × NR columns, lives in registers for a whole KC-deep
// slice of the panel: per step of k it needs MR·NV accumulators, NV panel vectors and one
// broadcast of A. The blocking follows the register file of the instruction set the file is
// compiled for, so the accumulators never spill:
//
//   AVX-512 (32 zmm registers of 16 floats): MR 12 × NR 32 (2 vectors): 24 + 2 + 1 = 27 registers
//   AVX2 + FMA (16 ymm registers of 8):      MR 6 × NR 16 (2 vectors):  12 + 2 + 1 = 15
//   anything else (128-bit vectors, 16+):    MR 4 × NR 12 (3 vectors):  12 + 3 + 1 = 16
//
// Chosen by timing the products of the S and M benchmark models (32×2048×512, 32×512×2048,
// 25×512×128) one thread at a time, interleaved: on AVX-512, 12×32 beat 4×64, 6×64 and 8×32 by
// 6–23%; on AVX2, 6×16 beat 4×24 and 8×8. The old 4×32-of-16-float-vectors tile needed 16
// accumulators plus operands on AVX2's 16 registers, spilled, and ran at half this speed.
//
// Rows are split into tiles of nearly equal height (32 rows with MR 6 as 6+6+5+5+5+5, not
// 6·5 + 2), so the last tile still has enough independent accumulators to hide the FMA latency.
#include "ckernels.h"
#include <string.h>

#if defined(__AVX512F__)
#define ISA "AVX-512"
#define VL 16
#define MR 12
#define NV 2
#elif defined(__AVX2__) && defined(__FMA__)
#define ISA "AVX2+FMA"
#define VL 8
#define MR 6
#define NV 2
#else
#define ISA "portable 128-bit"
#define VL 4
#define MR 4
#define NV 3
#endif
#define NR (NV * VL)
// Depth of a panel slice: KC×NR floats (32 KiB with AVX-512, 16 KiB with AVX2) stay in L1 while
// every row tile of A streams past them.
#define KC 256

// clang's extended vectors: a float converts to a vector by broadcasting (one vbroadcastss).
typedef float vec __attribute__((ext_vector_type(VL)));

static inline vec load(const float *p) { vec v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vec v) { memcpy(p, &v, sizeof v); }

const char *ck_vector_isa(void) { return ISA; }

long ck_packed_count(long k, long n) { return (n + NR - 1) / NR * NR * k; }

void ck_pack(const float *b, long row_stride, long column_stride, long k, long n, float *packed) {
    for (long j0 = 0; j0 < n; j0 += NR) {
        float *panel = packed + j0 * k;
        for (long p = 0; p < k; p++) {
            for (long jj = 0; jj < NR; jj++) {
                long j = j0 + jj;
                panel[p * NR + jj] = j < n ? b[p * row_stride + j * column_stride] : 0.0f;
            }
        }
    }
}

// C[rows × columns] += A[rows × depth] · panel[depth × NR] (first `columns` columns). Always
// inlined with a constant `rows`, so each height gets its own fully unrolled register tile.
// `upcoming`, when not NULL, is the same slice of the next panel: one cache line of it is
// prefetched per line of this panel read, so the next panel arrives from L3 (an M-sized W_hh,
// 4 MiB, does not fit L2) while this one is multiplied. That is worth ~15% on such products.
static inline __attribute__((always_inline)) void tile(const int rows, long depth, const float *a, long lda,
                                                       const float *panel, float *c, long ldc, long columns,
                                                       const float *upcoming) {
    vec acc[MR][NV];
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < NV; q++) acc[r][q] = 0.0f;
    for (long p = 0; p < depth; p++) {
        vec b[NV];
        for (int q = 0; q < NV; q++) b[q] = load(panel + p * NR + q * VL);
        if (upcoming)
            for (int q = 0; q < NR; q += 16) __builtin_prefetch(upcoming + p * NR + q);
        for (int r = 0; r < rows; r++) {
            vec x = a[r * lda + p];
            for (int q = 0; q < NV; q++) acc[r][q] += x * b[q];
        }
    }
    for (int r = 0; r < rows; r++) {
        float *cr = c + r * ldc;
        if (columns == NR) {
            for (int q = 0; q < NV; q++) store(cr + q * VL, load(cr + q * VL) + acc[r][q]);
        } else {
            float partial[NR];
            for (int q = 0; q < NV; q++) store(partial + q * VL, acc[r][q]);
            for (long j = 0; j < columns; j++) cr[j] += partial[j];
        }
    }
}

static void tile_of_height(int rows, long depth, const float *a, long lda, const float *panel, float *c, long ldc,
                           long columns, const float *upcoming) {
    switch (rows) {
#define HEIGHT(R) case R: tile(R, depth, a, lda, panel, c, ldc, columns, upcoming); break;
    HEIGHT(1) HEIGHT(2) HEIGHT(3) HEIGHT(4)
#if MR >= 6
    HEIGHT(5) HEIGHT(6)
#endif
#if MR >= 12
    HEIGHT(7) HEIGHT(8) HEIGHT(9) HEIGHT(10) HEIGHT(11) HEIGHT(12)
#endif
#undef HEIGHT
    }
}

void ck_gemm_packed_accumulate(long m, long n, long k, const float *a, long lda, const float *packed,
                               float *c, long ldc) {
    if (m <= 0) return;
    long tiles = (m + MR - 1) / MR, base = m / tiles, taller = m % tiles;
    for (long p0 = 0; p0 < k; p0 += KC) {
        long depth = k - p0 < KC ? k - p0 : KC;
        for (long j0 = 0; j0 < n; j0 += NR) {
            const float *panel = packed + j0 * k + p0 * NR;
            long columns = n - j0 < NR ? n - j0 : NR;
            long i = 0;
            for (long t = 0; t < tiles; t++) {
                int rows = (int)(base + (t < taller));
                const float *upcoming = t == 0 && j0 + NR < n ? panel + NR * k : 0;
                tile_of_height(rows, depth, a + i * lda + p0, lda, panel, c + i * ldc + j0, ldc, columns, upcoming);
                i += rows;
            }
        }
    }
}
