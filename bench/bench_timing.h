// Wall-clock timing helpers for the benchmarks.

#ifndef SVHN_BENCH_TIMING_H
#define SVHN_BENCH_TIMING_H

// Seconds from a monotonic clock.
double bench_now(void);

// Runs work(context) once to warm up caches and thread pools, then `runs`
// more times, and returns the median time of one run in seconds.
double bench_median_seconds(void (*work)(void *context), void *context, int runs);

#endif
