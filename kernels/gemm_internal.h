// Micro-kernels and block sizes of each SIMD level, shared by the GEMM
// driver and the per-level kernel files.

#ifndef SVHN_GEMM_INTERNAL_H
#define SVHN_GEMM_INTERNAL_H

#include <stddef.h>

#include "svhn/gemm.h"
#include "svhn/simd.h"

// Computes one (mr, nr) tile of C over kc steps:
//   tile = (accumulate ? c : 0) + a_packed · b, then + bias, then ReLU.
// a_packed: kc groups of mr floats (one column of A's rows per step);
// b: kc rows of nr floats, ldb floats apart (nr for a packed sliver, B's
// row stride when B is read in place); c: (mr, nr) with row stride ldc;
// bias: (nr) or NULL.
typedef void (*GemmTileKernel)(int kc, const float *a_packed, const float *b,
                               ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *bias,
                               int accumulate, int relu);

// Packs `count` (at most width) source vectors that are contiguous along k
// (element (v, p) at src[v * vector_stride + p]) as depth groups of width
// floats, zero past count: the transposing case of packing.
typedef void (*GemmPackTransposed)(float *dst, const float *src, ptrdiff_t vector_stride,
                                   int count, int depth, int width);

// Register tile (mr, nr) and cache blocks. An (mc, kc) panel of A is packed
// to stay in L2, and a (kc, nc) panel of B is packed once per kc step. One
// (kc, nr) sliver of B is then reused from L1 across the mc rows.
typedef struct {
    GemmTileKernel tile;
    GemmPackTransposed pack_transposed;  // NULL: the portable one
    int mr;
    int nr;
    int mc;
    int kc;
    int nc;
} GemmKernelInfo;

// Upper bounds over all levels, for the packing buffers and tile scratch.
#define GEMM_MAX_MR 16
#define GEMM_MAX_NR 64
#define GEMM_MAX_MC 256
#define GEMM_MAX_KC 384
#define GEMM_MAX_NC 2048

// The dot-product form (gemm_dot_avx512.c) takes products with at most
// this many columns whose A rows and B columns are contiguous along k.
#define GEMM_DOT_MAX_N 12

void gemm_dot_avx512(int m, int n, int k, MatrixView a, MatrixView b, float *c,
                     ptrdiff_t ldc, GemmEpilogue epilogue);

extern const GemmKernelInfo gemm_kernel_scalar;
extern const GemmKernelInfo gemm_kernel_avx2;
extern const GemmKernelInfo gemm_kernel_avx512;

#endif
