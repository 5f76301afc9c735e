#ifndef SVHN_GEMM_H
#define SVHN_GEMM_H

#include <stddef.h>

#include "svhn/simd.h"

#ifdef __cplusplus
extern "C" {
#endif

// A read-only matrix operand with arbitrary strides, in floats: element
// (row, col) is data[row * row_stride + col * col_stride]. A row-major
// matrix has col_stride 1, and its transpose is the same data with the two
// strides swapped.
typedef struct {
    const float *data;
    ptrdiff_t row_stride;
    ptrdiff_t col_stride;
} MatrixView;

// What happens to the product before it is stored in C.
typedef struct {
    int accumulate;       // 1: C += A·B, 0: C = A·B
    const float *bias;    // (n) added to every row of C, or NULL
    int relu;             // 1: store max(result, 0) after the bias
} GemmEpilogue;

// C (m, n), row stride ldc, gets A (m, k) · B (k, n) through the epilogue.
// Runs the micro-kernel of the given level, which the CPU must support.
// Splits the work over omp_get_max_threads() OpenMP threads when it is large
// enough to gain from that, and runs on the calling thread otherwise. Each
// thread allocates its packing buffers once, on its first call; the
// allocation failing ends the process with a message.
void gemm(SimdLevel level, int m, int n, int k, MatrixView a, MatrixView b,
          float *c, ptrdiff_t ldc, GemmEpilogue epilogue);

#ifdef __cplusplus
}
#endif

#endif
