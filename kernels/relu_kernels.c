// ReLU forward and backward at each SIMD level. Both are bound by memory
// bandwidth, so the vector code mainly avoids the compare-and-branch of a
// naive loop. The vector loops handle the tail with masks (AVX-512) or
// scalar code (AVX2), so any count and alignment work.

#include "svhn/relu_kernels.h"

#include <immintrin.h>
#include <omp.h>

// Below this many floats (1 MiB of input) one thread streams the data
// faster than a team can be woken and synchronised.
#define RELU_PARALLEL_MIN_COUNT ((size_t)1 << 18)

__attribute__((target("avx512f")))
static void relu_forward_avx512(float *out, const float *in, size_t count)
{
    const __m512 zero = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        _mm512_storeu_ps(out + i, _mm512_max_ps(_mm512_loadu_ps(in + i), zero));
    }
    if (i < count) {
        const __mmask16 mask = (__mmask16)((1u << (count - i)) - 1);
        const __m512 x = _mm512_maskz_loadu_ps(mask, in + i);
        _mm512_mask_storeu_ps(out + i, mask, _mm512_max_ps(x, zero));
    }
}

__attribute__((target("avx512f")))
static void relu_backward_avx512(float *din, const float *dout, const float *out,
                                 size_t count)
{
    const __m512 zero = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __mmask16 positive =
            _mm512_cmp_ps_mask(_mm512_loadu_ps(out + i), zero, _CMP_GT_OQ);
        _mm512_storeu_ps(din + i, _mm512_maskz_loadu_ps(positive, dout + i));
    }
    if (i < count) {
        const __mmask16 mask = (__mmask16)((1u << (count - i)) - 1);
        const __mmask16 positive = _mm512_mask_cmp_ps_mask(
            mask, _mm512_maskz_loadu_ps(mask, out + i), zero, _CMP_GT_OQ);
        _mm512_mask_storeu_ps(din + i, mask, _mm512_maskz_loadu_ps(positive, dout + i));
    }
}

__attribute__((target("avx2")))
static void relu_forward_avx2(float *out, const float *in, size_t count)
{
    const __m256 zero = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(out + i, _mm256_max_ps(_mm256_loadu_ps(in + i), zero));
    }
    for (; i < count; i++) {
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    }
}

__attribute__((target("avx2")))
static void relu_backward_avx2(float *din, const float *dout, const float *out,
                               size_t count)
{
    const __m256 zero = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 positive = _mm256_cmp_ps(_mm256_loadu_ps(out + i), zero, _CMP_GT_OQ);
        _mm256_storeu_ps(din + i, _mm256_and_ps(positive, _mm256_loadu_ps(dout + i)));
    }
    for (; i < count; i++) {
        din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
    }
}

static void relu_forward_scalar(float *out, const float *in, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    }
}

static void relu_backward_scalar(float *din, const float *dout, const float *out,
                                 size_t count)
{
    for (size_t i = 0; i < count; i++) {
        din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
    }
}

static void relu_forward_chunk(SimdLevel level, float *out, const float *in, size_t count)
{
    switch (level) {
    case SIMD_AVX512:
        relu_forward_avx512(out, in, count);
        break;
    case SIMD_AVX2:
        relu_forward_avx2(out, in, count);
        break;
    default:
        relu_forward_scalar(out, in, count);
        break;
    }
}

static void relu_backward_chunk(SimdLevel level, float *din, const float *dout,
                                const float *out, size_t count)
{
    switch (level) {
    case SIMD_AVX512:
        relu_backward_avx512(din, dout, out, count);
        break;
    case SIMD_AVX2:
        relu_backward_avx2(din, dout, out, count);
        break;
    default:
        relu_backward_scalar(din, dout, out, count);
        break;
    }
}

// Splits [0, count) into one contiguous chunk per thread.
static void chunk_bounds(size_t count, size_t *begin, size_t *end)
{
    const size_t threads = (size_t)omp_get_num_threads();
    const size_t index = (size_t)omp_get_thread_num();
    *begin = count * index / threads;
    *end = count * (index + 1) / threads;
}

void relu_forward_kernel(SimdLevel level, float *out, const float *in, size_t count)
{
    if (count < RELU_PARALLEL_MIN_COUNT || omp_get_max_threads() <= 1) {
        relu_forward_chunk(level, out, in, count);
        return;
    }
    #pragma omp parallel
    {
        size_t begin;
        size_t end;
        chunk_bounds(count, &begin, &end);
        relu_forward_chunk(level, out + begin, in + begin, end - begin);
    }
}

void relu_backward_kernel(SimdLevel level, float *din, const float *dout,
                          const float *out, size_t count)
{
    if (count < RELU_PARALLEL_MIN_COUNT || omp_get_max_threads() <= 1) {
        relu_backward_chunk(level, din, dout, out, count);
        return;
    }
    #pragma omp parallel
    {
        size_t begin;
        size_t end;
        chunk_bounds(count, &begin, &end);
        relu_backward_chunk(level, din + begin, dout + begin, out + begin, end - begin);
    }
}
