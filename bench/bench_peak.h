// Peak floating-point rate of this machine, measured with independent
// multiply-add chains that never touch memory.

#ifndef SVHN_BENCH_PEAK_H
#define SVHN_BENCH_PEAK_H

#include "svhn/simd.h"

// Returns the measured peak in GFLOP/s (a multiply-add counts as 2) of
// `threads` OpenMP threads running vector FMAs of the given level: 512-bit
// for avx512, 256-bit for avx2, and 128-bit SSE multiply plus add (no FMA
// in the x86-64 baseline) for scalar. Median of several runs.
double bench_peak_gflops(SimdLevel level, int threads);

#endif
