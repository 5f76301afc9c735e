// Regression check of the SIMD linear products against the reference layer
// and oneDNN's matmul, measured in the same run.

#ifndef SVHN_BENCH_LINEAR_CHECK_H
#define SVHN_BENCH_LINEAR_CHECK_H

#include <stdio.h>

#include "bench_floors.h"

// Products measured: forward, backward-data and backward-weights of the
// four linear layers of MLP and LNet.
#define BENCH_LINEAR_PRODUCTS 12

// Reads the floors of every product from path into floors, in the order of
// the check's rows. Returns 0, or -1 after printing the problem to stderr.
// It rejects what bench_floors_read rejects, and also a reference floor for a
// backward-data product, because that ratio is not measured.
int bench_linear_check_read_floors(const char *path, int path_is_default, BenchFloor *floors);

// Measures each product at `batch` (`rounds` interleaved rounds, medians),
// prints the speed ratios and floors to `stream` (a table, or a JSON array
// when json is 1), and compares the ratios with the floors. Returns 0 when
// every ratio is at or above its floor, 1 when one is below, and -1 when
// oneDNN fails.
int bench_linear_check(int batch, int rounds, int json, const BenchFloor *floors, FILE *stream);

#endif
