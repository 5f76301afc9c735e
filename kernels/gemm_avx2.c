// AVX2 + FMA GEMM micro-kernel: a 6x16 tile of C in 12 ymm accumulators.
//
// Each k step loads two 8-float vectors of B and broadcasts 6 values of A:
// 12 independent FMAs, 15 of the 16 ymm registers.

#include <immintrin.h>

#include "gemm_internal.h"

#define MR 6
#define NR 16

__attribute__((target("avx2,fma")))
static void tile_avx2(int kc, const float *a_packed, const float *b,
                      ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *bias,
                      int accumulate, int relu)
{
    __m256 acc0[MR];
    __m256 acc1[MR];
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm256_setzero_ps();
        acc1[i] = _mm256_setzero_ps();
    }

    for (int p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_loadu_ps(b);
        const __m256 b1 = _mm256_loadu_ps(b + 8);
        for (int i = 0; i < MR; i++) {
            const __m256 a = _mm256_broadcast_ss(a_packed + i);
            acc0[i] = _mm256_fmadd_ps(a, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(a, b1, acc1[i]);
        }
        a_packed += MR;
        b += ldb;
    }

    const __m256 zero = _mm256_setzero_ps();
    const __m256 bias0 = bias != NULL ? _mm256_loadu_ps(bias) : zero;
    const __m256 bias1 = bias != NULL ? _mm256_loadu_ps(bias + 8) : zero;
    for (int i = 0; i < MR; i++) {
        float *row = c + i * ldc;
        __m256 y0 = _mm256_add_ps(acc0[i], bias0);
        __m256 y1 = _mm256_add_ps(acc1[i], bias1);
        if (accumulate) {
            y0 = _mm256_add_ps(y0, _mm256_loadu_ps(row));
            y1 = _mm256_add_ps(y1, _mm256_loadu_ps(row + 8));
        }
        if (relu) {
            y0 = _mm256_max_ps(y0, zero);
            y1 = _mm256_max_ps(y1, zero);
        }
        _mm256_storeu_ps(row, y0);
        _mm256_storeu_ps(row + 8, y1);
    }
}

const GemmKernelInfo gemm_kernel_avx2 = {
    .tile = tile_avx2, .mr = MR, .nr = NR, .mc = 168, .kc = 256, .nc = 1024,
};
