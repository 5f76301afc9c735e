// Per-layer and per-step timing of a model, for layer_bench.

#ifndef SVHN_BENCH_LAYERS_H
#define SVHN_BENCH_LAYERS_H

#include <stdio.h>

#include "svhn/models.h"

typedef struct {
    int batch;
    int runs;            // timed runs per measurement (the median is kept)
    int json;            // 1: JSON objects, 0: a table for people
    double peak_gflops;  // measured peak of the active level and thread count
} BenchSettings;

// Times forward and backward of every layer of the model, the loss and the
// Adam step, and one whole training step, and prints them to `stream`.
// In JSON mode it prints one array element per row, each preceded by
// `*separator` (which it then sets to ","). Returns 0, or -1 when the model
// cannot be built.
int bench_model_layers(ModelKind kind, Backend backend, const BenchSettings *settings,
                       FILE *stream, const char **separator);

#endif
