// AVX-512 GEMM micro-kernel: a 10x32 tile of C in 20 zmm accumulators.
//
// Each k step loads two 16-float vectors of B and broadcasts 10 values of A:
// 20 independent FMAs, more than the 8 in flight that two FMA pipes of
// latency 4 need. Ten rows divide the batch of 250 exactly, so the MLP and
// LNet products run no edge tiles along the batch; 14 rows (28
// accumulators) measured about 2% slower on them.

#include <immintrin.h>

#include "gemm_internal.h"
#include "gemm_pack.h"

#define MR 10
#define NR 32

__attribute__((target("avx512f")))
static void tile_avx512(int kc, const float *a_packed, const float *b,
                        ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *bias,
                        int accumulate, int relu)
{
    __m512 acc0[MR];
    __m512 acc1[MR];
    // Full unrolling keeps the accumulators in registers; a rolled loop
    // makes the compiler keep them in a stack array instead.
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }

    // The C tile is read only after the kc steps; asking for its cache
    // lines now hides their latency behind the arithmetic.
    if (accumulate) {
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
        }
    }

    for (int p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(b);
        const __m512 b1 = _mm512_loadu_ps(b + 16);
        for (int i = 0; i < MR; i++) {
            const __m512 a = _mm512_set1_ps(a_packed[i]);
            acc0[i] = _mm512_fmadd_ps(a, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(a, b1, acc1[i]);
        }
        a_packed += MR;
        b += ldb;
    }

    const __m512 zero = _mm512_setzero_ps();
    const __m512 bias0 = bias != NULL ? _mm512_loadu_ps(bias) : zero;
    const __m512 bias1 = bias != NULL ? _mm512_loadu_ps(bias + 16) : zero;
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        float *row = c + i * ldc;
        __m512 y0 = _mm512_add_ps(acc0[i], bias0);
        __m512 y1 = _mm512_add_ps(acc1[i], bias1);
        if (accumulate) {
            y0 = _mm512_add_ps(y0, _mm512_loadu_ps(row));
            y1 = _mm512_add_ps(y1, _mm512_loadu_ps(row + 16));
        }
        if (relu) {
            y0 = _mm512_max_ps(y0, zero);
            y1 = _mm512_max_ps(y1, zero);
        }
        _mm512_storeu_ps(row, y0);
        _mm512_storeu_ps(row + 16, y1);
    }
}

// kc * NR * 4 bytes = 32 KiB for the B sliver; mc rows of A (250 KiB) fit
// L2, and one A block covers a batch of 250.
const GemmKernelInfo gemm_kernel_avx512 = {
    .tile = tile_avx512, .pack_transposed = gemm_pack_transposed_avx512, .mr = MR, .nr = NR, .mc = 250, .kc = 256, .nc = 1024,
};
