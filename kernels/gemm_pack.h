// Packing of GEMM operands into the contiguous panels the micro-kernels read.

#ifndef SVHN_GEMM_PACK_H
#define SVHN_GEMM_PACK_H

#include "svhn/gemm.h"

#include "gemm_internal.h"

// Copies the (rows, depth) block of A at a.data into slivers of mr rows:
// for each sliver, depth groups of mr floats. Rows past `rows` in the last
// sliver are zero, so the micro-kernel always runs on full tiles.
// The kernel supplies the sliver width (mr) and its transposing pack.
void gemm_pack_a(float *packed, MatrixView a, int rows, int depth,
                 const GemmKernelInfo *kernel);

// Copies the (depth, cols) block of B at b.data into slivers of nr columns:
// for each sliver, depth groups of nr floats, zero past `cols`.
void gemm_pack_b(float *packed, MatrixView b, int depth, int cols,
                 const GemmKernelInfo *kernel);

// The portable transposing pack (see GemmPackTransposed).
void gemm_pack_transposed_portable(float *dst, const float *src, ptrdiff_t vector_stride,
                                   int count, int depth, int width);

// The AVX-512 transposing pack, for widths up to 32.
void gemm_pack_transposed_avx512(float *dst, const float *src, ptrdiff_t vector_stride,
                                 int count, int depth, int width);

#endif
