// Packing of GEMM operands. Both panels are stored step-major (one group of
// mr or nr floats per k), so when the source is contiguous along k the copy
// is a transpose. The portable transpose reads each source vector in runs of
// 16 k steps, so every source cache line is used fully while it is in L1.

#include "gemm_pack.h"

#include <string.h>

// Steps of k copied per pass of a transposing pack: 16 floats are one
// 64-byte cache line of each source row.
#define PACK_K_RUN 16

void gemm_pack_transposed_portable(float *dst, const float *src, ptrdiff_t vector_stride,
                                   int count, int depth, int width)
{
    for (int p0 = 0; p0 < depth; p0 += PACK_K_RUN) {
        const int run = depth - p0 < PACK_K_RUN ? depth - p0 : PACK_K_RUN;
        for (int v = 0; v < count; v++) {
            const float *s = src + v * vector_stride + p0;
            float *d = dst + (ptrdiff_t)p0 * width + v;
            for (int p = 0; p < run; p++) {
                d[(ptrdiff_t)p * width] = s[p];
            }
        }
    }
    for (int v = count; v < width; v++) {
        for (int p = 0; p < depth; p++) {
            dst[(ptrdiff_t)p * width + v] = 0.0f;
        }
    }
}

// Packs `count` (≤ width) vectors whose elements for one k are contiguous
// (element (v, p) at src[p * step_stride + v]): a row copy per k.
static void pack_contiguous(float *dst, const float *src, ptrdiff_t step_stride,
                            int count, int depth, int width)
{
    for (int p = 0; p < depth; p++) {
        float *d = dst + (ptrdiff_t)p * width;
        memcpy(d, src + p * step_stride, (size_t)count * sizeof(float));
        for (int v = count; v < width; v++) {
            d[v] = 0.0f;
        }
    }
}

// Any strides: element (v, p) at src[v * vector_stride + p * step_stride].
static void pack_strided(float *dst, const float *src, ptrdiff_t vector_stride,
                         ptrdiff_t step_stride, int count, int depth, int width)
{
    for (int p = 0; p < depth; p++) {
        float *d = dst + (ptrdiff_t)p * width;
        for (int v = 0; v < width; v++) {
            d[v] = v < count ? src[v * vector_stride + p * step_stride] : 0.0f;
        }
    }
}

// Packs a panel whose slivers run along the "vector" dimension (rows of A,
// columns of B) and whose groups run along k.
static void pack_panel(float *packed, const float *src, ptrdiff_t vector_stride,
                       ptrdiff_t step_stride, int vectors, int depth, int width,
                       GemmPackTransposed pack_transposed)
{
    if (pack_transposed == NULL) {
        pack_transposed = gemm_pack_transposed_portable;
    }
    for (int v0 = 0; v0 < vectors; v0 += width) {
        const int count = vectors - v0 < width ? vectors - v0 : width;
        const float *s = src + v0 * vector_stride;
        float *d = packed + (ptrdiff_t)v0 * depth;

        if (step_stride == 1) {
            pack_transposed(d, s, vector_stride, count, depth, width);
        } else if (vector_stride == 1) {
            pack_contiguous(d, s, step_stride, count, depth, width);
        } else {
            pack_strided(d, s, vector_stride, step_stride, count, depth, width);
        }
    }
}

void gemm_pack_a(float *packed, MatrixView a, int rows, int depth,
                 const GemmKernelInfo *kernel)
{
    pack_panel(packed, a.data, a.row_stride, a.col_stride, rows, depth, kernel->mr,
               kernel->pack_transposed);
}

void gemm_pack_b(float *packed, MatrixView b, int depth, int cols,
                 const GemmKernelInfo *kernel)
{
    pack_panel(packed, b.data, b.col_stride, b.row_stride, cols, depth, kernel->nr,
               kernel->pack_transposed);
}
