#ifndef SVHN_TRAINER_H
#define SVHN_TRAINER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "svhn/dataset.h"
#include "svhn/error.h"
#include "svhn/loader.h"
#include "svhn/network.h"
#include "svhn/optimizer.h"
#include "svhn/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

// Defined below; the run's position that checkpoints store.
typedef struct TrainProgress TrainProgress;

// Called by train_run with the run's position, so the caller can write a
// checkpoint. A non-zero return stops the run with -1 and the message set.
typedef int (*TrainCheckpointHook)(void *context, const TrainProgress *progress,
                                   Error *error);

typedef struct {
    int epochs;
    int batch_size;       // at most the network's max_batch
    uint64_t seed;        // shuffling order; the caller seeds initialisation
    const char *log_path; // CSV file with one row per epoch, or NULL
    int show_progress;    // live progress line on stderr (only for a terminal)
    int prefetch_depth;   // batches prepared ahead on a loader thread; 0 prepares
                          // each batch on the training thread
    // Checked between steps when not NULL: a non-zero value stops the run with
    // TRAIN_INTERRUPTED. A signal handler may set it.
    const volatile sig_atomic_t *interrupt_flag;
    // Trains every step on the first batch, prepared once, to measure compute
    // throughput without data loading. Losses and accuracies are meaningless.
    int compute_only;
    // Continues the run from this position (read from a checkpoint) in place
    // of epoch 1, step 0. NULL for a new run. epochs counts the epochs
    // already done too.
    const TrainProgress *resume;
    // Called after every epoch's evaluation and, when checkpoint_every_steps
    // is positive, after every that many training steps. NULL for none.
    TrainCheckpointHook checkpoint_hook;
    void *checkpoint_context;
    int checkpoint_every_steps;
} TrainConfig;

typedef struct {
    int epoch;              // 1-based
    double train_loss;      // mean over the epoch's training batches
    double train_accuracy;  // fraction 0..1, measured while training
    double test_loss;
    double test_accuracy;   // fraction 0..1
    double examples_per_sec;  // training examples over training time
    double seconds;           // whole epoch, evaluation included
    double data_wait_seconds;    // training thread blocked on the loaders for a batch
    double loader_wait_seconds;  // loader threads blocked on a full ring
} EpochMetrics;

// Status codes of train_run besides 0 (success) and -1 (error).
#define TRAIN_DIVERGED 2     // the loss became NaN or infinite
#define TRAIN_INTERRUPTED 3  // the interrupt flag was set

// Per-channel normalisation shared by training and evaluation.
typedef struct {
    float mean[4];
    float std[4];
} Normalization;

// Where a run stands between two training steps: with the parameters and
// the optimizer, what continues the run exactly as if it had not stopped.
struct TrainProgress {
    int epochs_done;        // epochs trained and evaluated
    int steps_in_epoch;     // steps of epoch epochs_done + 1 already trained; 0 at an epoch end
    long steps_done;        // training steps over all epochs
    double epoch_loss_sum;  // sum of batch loss x batch size over those steps_in_epoch steps
    long epoch_correct;     // correct training predictions over those steps
    Rng shuffle_rng;        // shuffle generator state right after the last shuffle of order
    int *order;             // (order_count) example order of the current pass
    int order_count;        // training examples
    EpochMetrics *history;  // (epochs_done) metrics of the completed epochs
    Normalization normalization;  // of the training set, also used by evaluation
};

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

// Evaluates the network on one pass of `loader`, which must give the
// examples in order. probs is (loader batch size, classes). Checks
// interrupt_flag (may be NULL) between batches. Writes the mean loss and the
// accuracy (0..1). Returns 0, TRAIN_INTERRUPTED, or -1 with the loader's
// message.
int evaluate_from_loader(Network *network, Loader *loader, float *probs,
                         const volatile sig_atomic_t *interrupt_flag, double *loss,
                         double *accuracy, Error *error);

// Runs config->epochs epochs: shuffle, train, evaluate on the test set, print
// one line per epoch to `out`, and append to the CSV log if one is set.
// Returns 0, TRAIN_DIVERGED with a message naming the epoch and step,
// TRAIN_INTERRUPTED with a message giving the epochs and steps completed, or
// -1 with a message on any other error. Every loader thread is joined and
// every buffer freed before it returns.
int train_run(Network *network, Optimizer *optimizer, const DataSplit *data,
              const TrainConfig *config, FILE *out, Error *error);

#ifdef __cplusplus
}
#endif

#endif
