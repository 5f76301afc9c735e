#include "bench_peak.h"

#include <immintrin.h>
#include <omp.h>

#include "bench_timing.h"

// 12 chains: more than FMA latency (4 cycles) times FMA pipes (2) on
// current x86 cores, so the pipes never wait for a result.
#define CHAINS 12
#define ITERATIONS 2000000L
#define RUNS 9

// Each function returns a value derived from every chain, so the compiler
// cannot drop the work.
__attribute__((target("avx512f"), noinline))
static float fma_chains_avx512(long iterations, float seed)
{
    __m512 acc[CHAINS];
    const __m512 scale = _mm512_set1_ps(0.999999f);
    const __m512 shift = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) {
        acc[c] = _mm512_set1_ps(seed + (float)c);
    }
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) {
            acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
        }
    }
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) {
        sum = _mm512_add_ps(sum, acc[c]);
    }
    return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"), noinline))
static float fma_chains_avx2(long iterations, float seed)
{
    __m256 acc[CHAINS];
    const __m256 scale = _mm256_set1_ps(0.999999f);
    const __m256 shift = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) {
        acc[c] = _mm256_set1_ps(seed + (float)c);
    }
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) {
            acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
        }
    }
    __m256 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) {
        sum = _mm256_add_ps(sum, acc[c]);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    return lanes[0] + lanes[7];
}

__attribute__((noinline))
static float mul_add_chains_sse(long iterations, float seed)
{
    __m128 acc[CHAINS];
    const __m128 scale = _mm_set1_ps(0.999999f);
    const __m128 shift = _mm_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) {
        acc[c] = _mm_set1_ps(seed + (float)c);
    }
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) {
            acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], scale), shift);
        }
    }
    __m128 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) {
        sum = _mm_add_ps(sum, acc[c]);
    }
    return _mm_cvtss_f32(sum);
}

typedef struct {
    SimdLevel level;
    int threads;
    volatile float sink;
} PeakRun;

static void run_chains(void *context)
{
    PeakRun *run = context;
    float total = 0.0f;
    #pragma omp parallel num_threads(run->threads) reduction(+:total)
    {
        const float seed = (float)omp_get_thread_num();
        switch (run->level) {
        case SIMD_AVX512:
            total += fma_chains_avx512(ITERATIONS, seed);
            break;
        case SIMD_AVX2:
            total += fma_chains_avx2(ITERATIONS, seed);
            break;
        default:
            total += mul_add_chains_sse(ITERATIONS, seed);
            break;
        }
    }
    run->sink = total;
}

double bench_peak_gflops(SimdLevel level, int threads)
{
    static const int lanes[SIMD_LEVEL_COUNT] = {4, 8, 16};
    PeakRun run = {.level = level, .threads = threads};
    // Other processes can only slow a run down, so the peak is the fastest
    // run, not the median: one 3 ms run hit by a burst of load otherwise
    // lowers the peak and puts kernels above 100% of it.
    run_chains(&run);
    double seconds = 0.0;
    for (int r = 0; r < RUNS; r++) {
        const double start = bench_now();
        run_chains(&run);
        const double elapsed = bench_now() - start;
        if (r == 0 || elapsed < seconds) {
            seconds = elapsed;
        }
    }
    const double flops = 2.0 * lanes[level] * CHAINS * (double)ITERATIONS * threads;
    return flops / seconds * 1e-9;
}
