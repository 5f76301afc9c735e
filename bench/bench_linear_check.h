// Regression check of the SIMD linear products against the reference layer
// and oneDNN's matmul, measured in the same run.

#ifndef SVHN_BENCH_LINEAR_CHECK_H
#define SVHN_BENCH_LINEAR_CHECK_H

#include <stdio.h>

// Measures each product of the linear layers of MLP and LNet at `batch`
// (`rounds` interleaved rounds, medians), prints the speed ratios to
// `stream` (a table, or a JSON array when json is 1), and compares them
// with the floors in floors_path. Returns 0 when every ratio is at or above
// its floor, 1 when one is below, and -1 when the floors file or oneDNN
// fails.
int bench_linear_check(int batch, int rounds, int json, const char *floors_path,
                       FILE *stream);

#endif
