#ifndef SVHN_TRAINER_H
#define SVHN_TRAINER_H

#include <stdint.h>
#include <stdio.h>

#include "svhn/dataset.h"
#include "svhn/error.h"
#include "svhn/network.h"
#include "svhn/optimizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int epochs;
    int batch_size;       // at most the network's max_batch
    uint64_t seed;        // shuffling order; the caller seeds initialisation
    const char *log_path; // CSV file with one row per epoch, or NULL
    int show_progress;    // live progress line on stderr (only for a terminal)
} TrainConfig;

typedef struct {
    int epoch;              // 1-based
    double train_loss;      // mean over the epoch's training batches
    double train_accuracy;  // fraction 0..1, measured while training
    double test_loss;
    double test_accuracy;   // fraction 0..1
    double examples_per_sec;  // training examples over training time
    double seconds;           // whole epoch, evaluation included
} EpochMetrics;

// Status codes of train_run besides 0 (success) and -1 (error).
#define TRAIN_DIVERGED 2  // the loss became NaN or infinite

// Per-channel normalisation shared by training and evaluation.
typedef struct {
    float mean[4];
    float std[4];
} Normalization;

// Computes the normalisation from a training set. Channels beyond 4 are not
// supported (the datasets here have 1 or 3).
void normalization_from_dataset(Normalization *normalization, const Dataset *train);

// The per-batch buffers of training and evaluation, allocated once.
typedef struct {
    int capacity;     // examples per batch
    float *images;    // (capacity, C, H, W), normalised
    uint8_t *labels;  // (capacity)
    float *probs;     // (capacity, classes), softmax output
    float *dlogits;   // (capacity, classes)
    int *indices;     // (capacity), example indices of an evaluation batch
} BatchBuffers;

int batch_buffers_init(BatchBuffers *buffers, int capacity, Shape shape,
                       int classes, Error *error);
void batch_buffers_free(BatchBuffers *buffers);

// Evaluates the network on every example of `data`, in order, in batches of
// buffers->capacity. Writes the mean loss and the accuracy (0..1).
void evaluate(Network *network, const Dataset *data,
              const Normalization *normalization, BatchBuffers *buffers,
              double *loss, double *accuracy);

// Runs config->epochs epochs: shuffle, train, evaluate on the test set, print
// one line per epoch to `out`, and append to the CSV log if one is set.
// Returns 0, TRAIN_DIVERGED with a message naming the epoch and step, or -1
// with a message on any other error.
int train_run(Network *network, Optimizer *optimizer, const DataSplit *data,
              const TrainConfig *config, FILE *out, Error *error);

#ifdef __cplusplus
}
#endif

#endif
