// AVX-512 GEMM for products with few columns whose operands both run
// along k in memory: C (m, n) = A (m, k) · B (k, n) with A's rows and B's
// columns contiguous. A linear layer's forward product has this form, and
// with 10 outputs the outer-product micro-kernel would fill 10 of its 32
// columns and spend most of its time packing.
//
// Here each element of C is a dot product. Two rows of A and up to 12
// columns of B are read straight from memory, 16 k steps per vector, into
// 2 x 12 accumulators. The 16 lanes of each are summed once at the end. No
// operand is packed, and every lane of every FMA does useful work.

#include <immintrin.h>
#include <omp.h>

#include "gemm_internal.h"

#define DOT_ROWS 2

// Below this many floating-point operations the product runs on one thread
// (the same threshold as the blocked GEMM).
#define DOT_PARALLEL_MIN_FLOPS 5e5

typedef struct {
    int k;
    const float *a;
    ptrdiff_t lda;
    const float *b;     // column j of B at b + j * ldb
    ptrdiff_t ldb;
    float *c;
    ptrdiff_t ldc;
    GemmEpilogue epilogue;
} DotProblem;

// Computes rows [row, row + rows) and columns [col, col + cols) of C.
// `rows` and `cols` are compile-time constants at every call, so the
// accumulators stay in registers and the loops unroll fully.
__attribute__((target("avx512f"), always_inline))
static inline void dot_block(const DotProblem *problem, int row, int col, const int rows,
                             const int cols)
{
    const int k = problem->k;
    const float *a = problem->a + row * problem->lda;
    const float *b = problem->b + col * problem->ldb;
    __m512 acc[DOT_ROWS][GEMM_DOT_MAX_N];

#pragma GCC unroll 2
    for (int i = 0; i < rows; i++) {
#pragma GCC unroll 12
        for (int j = 0; j < cols; j++) {
            acc[i][j] = _mm512_setzero_ps();
        }
    }

    // Each step reads 16 values along k. The last step masks off those past
    // k, which load as zero and add nothing.
    for (int p = 0; p < k; p += 16) {
        const __mmask16 mask = k - p >= 16 ? (__mmask16)0xFFFF
                                           : (__mmask16)((1u << (k - p)) - 1);
        __m512 a_vec[DOT_ROWS];
#pragma GCC unroll 2
        for (int i = 0; i < rows; i++) {
            a_vec[i] = _mm512_maskz_loadu_ps(mask, a + i * problem->lda + p);
        }
#pragma GCC unroll 12
        for (int j = 0; j < cols; j++) {
            const __m512 b_vec = _mm512_maskz_loadu_ps(mask, b + j * problem->ldb + p);
#pragma GCC unroll 2
            for (int i = 0; i < rows; i++) {
                acc[i][j] = _mm512_fmadd_ps(a_vec[i], b_vec, acc[i][j]);
            }
        }
    }

    const GemmEpilogue *epilogue = &problem->epilogue;
#pragma GCC unroll 2
    for (int i = 0; i < rows; i++) {
        float *c_row = problem->c + (row + i) * problem->ldc + col;
#pragma GCC unroll 12
        for (int j = 0; j < cols; j++) {
            float y = _mm512_reduce_add_ps(acc[i][j]);
            if (epilogue->bias != NULL) {
                y += epilogue->bias[col + j];
            }
            if (epilogue->accumulate) {
                y += c_row[j];
            }
            if (epilogue->relu && y < 0.0f) {
                y = 0.0f;
            }
            c_row[j] = y;
        }
    }
}

// One instance of dot_block per block width, for the given row count.
#define DOT_WIDTH_CASES(rows)                                                 \
    case 1: dot_block(problem, row, col, rows, 1); break;                     \
    case 2: dot_block(problem, row, col, rows, 2); break;                     \
    case 3: dot_block(problem, row, col, rows, 3); break;                     \
    case 4: dot_block(problem, row, col, rows, 4); break;                     \
    case 5: dot_block(problem, row, col, rows, 5); break;                     \
    case 6: dot_block(problem, row, col, rows, 6); break;                     \
    case 7: dot_block(problem, row, col, rows, 7); break;                     \
    case 8: dot_block(problem, row, col, rows, 8); break;                     \
    case 9: dot_block(problem, row, col, rows, 9); break;                     \
    case 10: dot_block(problem, row, col, rows, 10); break;                   \
    case 11: dot_block(problem, row, col, rows, 11); break;                   \
    default: dot_block(problem, row, col, rows, 12); break;

__attribute__((target("avx512f")))
static void dot_rows(const DotProblem *problem, int row, int rows, int col, int cols)
{
    if (rows == 2) {
        switch (cols) { DOT_WIDTH_CASES(2) }
    } else {
        switch (cols) { DOT_WIDTH_CASES(1) }
    }
}

void gemm_dot_avx512(int m, int n, int k, MatrixView a, MatrixView b, float *c,
                     ptrdiff_t ldc, GemmEpilogue epilogue)
{
    const DotProblem problem = {
        .k = k, .a = a.data, .lda = a.row_stride, .b = b.data, .ldb = b.col_stride,
        .c = c, .ldc = ldc, .epilogue = epilogue,
    };
    const int pairs = (m + DOT_ROWS - 1) / DOT_ROWS;
    const int parallel = !omp_in_parallel() && 2.0 * m * n * k >= DOT_PARALLEL_MIN_FLOPS;

    #pragma omp parallel for schedule(static) if (parallel)
    for (int pair = 0; pair < pairs; pair++) {
        const int row = pair * DOT_ROWS;
        const int rows = m - row < DOT_ROWS ? m - row : DOT_ROWS;
        for (int col = 0; col < n; col += GEMM_DOT_MAX_N) {
            const int cols = n - col < GEMM_DOT_MAX_N ? n - col : GEMM_DOT_MAX_N;
            dot_rows(&problem, row, rows, col, cols);
        }
    }
}
