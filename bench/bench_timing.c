#include "bench_timing.h"

#include <stdlib.h>
#include <time.h>

#define BENCH_MAX_RUNS 1000

double bench_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a;
    const double y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median_seconds(void (*work)(void *context), void *context, int runs)
{
    double times[BENCH_MAX_RUNS];
    if (runs < 1) {
        runs = 1;
    }
    if (runs > BENCH_MAX_RUNS) {
        runs = BENCH_MAX_RUNS;
    }

    work(context);
    for (int i = 0; i < runs; i++) {
        const double start = bench_now();
        work(context);
        times[i] = bench_now() - start;
    }
    qsort(times, (size_t)runs, sizeof times[0], compare_doubles);
    return runs % 2 == 1 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]);
}
