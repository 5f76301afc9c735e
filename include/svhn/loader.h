#ifndef SVHN_LOADER_H
#define SVHN_LOADER_H

// Batch loader: prepares normalised float batches of a dataset, one pass per
// epoch, either on a background thread that fills a ring of preallocated
// buffers (depth >= 1) or in the caller's thread (depth 0). Both modes give
// the same batches, bit for bit, in the same order.
//
// Life cycle: loader_create, then for each pass steps-per-pass times
// loader_next / loader_release, then loader_destroy. loader_destroy may be
// called at any point (early stop); it stops and joins the thread and frees
// every buffer.

#include <stdint.h>

#include "svhn/dataset.h"
#include "svhn/error.h"
#include "svhn/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

// One prepared batch, owned by the loader. Valid from loader_next until it
// is handed back with loader_release.
typedef struct {
    float *images;    // (count, C, H, W), normalised with the loader's mean and std
    uint8_t *labels;  // (count)
    int *indices;     // (count), index of each example in the dataset
    int count;        // examples in this batch; the last batch of a pass may be smaller
    int pass;         // 0-based pass (epoch) that the batch belongs to
    int step;         // 0-based position of the batch within its pass
} LoaderBatch;

// Called on the thread that prepares a batch (the loader thread, or the
// caller when depth is 0), after the batch is filled. A non-zero return
// stops the loader: loader_next then returns -1 with the message set here.
// Tests inject read errors this way.
typedef int (*LoaderBatchHook)(void *context, const LoaderBatch *batch, Error *error);

typedef struct {
    const Dataset *dataset;  // read only; must outlive the loader
    const float *mean;       // (dataset->shape.channels), on the [0, 1] pixel scale
    const float *std;        // (dataset->shape.channels)
    int batch_size;          // examples per batch, >= 1
    int passes;              // passes over the dataset, >= 1
    int depth;               // ring buffers; 0 prepares each batch in loader_next
    int shuffle;             // non-zero: shuffle before every pass; zero: dataset order
    uint64_t shuffle_seed;   // seeds the shuffle generator once, at creation
    // Resume point of a run continued from a checkpoint. When start_order is
    // not NULL, the first batch handed out is batch first_batch (counted over
    // all passes), and the running order (dataset count entries) and the
    // shuffle generator start as start_order and *start_rng instead of the
    // identity and shuffle_seed. They must be the order and generator state
    // that a loader started from scratch has right after preparing batch
    // first_batch - 1; a pass boundary then reshuffles as usual.
    const int *start_order;
    const Rng *start_rng;
    int64_t first_batch;
    LoaderBatchHook batch_hook;  // NULL for none
    void *hook_context;
} LoaderConfig;

// Seconds spent blocked since the previous loader_take_wait_times call (or
// since creation).
typedef struct {
    double consumer_seconds;  // in loader_next, waiting for a ready batch
    double producer_seconds;  // on the loader thread, waiting for a free buffer
} LoaderWaitTimes;

typedef struct Loader Loader;

// Name of every loader thread, as listed in /proc/PID/task/TID/comm.
#define LOADER_THREAD_NAME "svhn-loader"

// Allocates the buffers and, when depth >= 1, starts the loader thread, which
// begins filling the ring at once. The thread blocks every signal, so that
// signals such as SIGINT reach the other threads. Returns NULL with a message
// on invalid configuration or when memory or the thread cannot be had.
Loader *loader_create(const LoaderConfig *config, Error *error);

// Number of batches in each pass: ceil(dataset count / batch size).
int loader_steps_per_pass(const Loader *loader);

// Waits for the next batch, in pass and step order. Returns 0 with *batch
// set, or -1 with a message when the batch hook failed or every pass was
// already handed out. At most `depth` batches (1 when depth is 0) may be
// held at once, and they must be released in the order they were received.
int loader_next(Loader *loader, LoaderBatch **batch, Error *error);

// Hands a batch back to the loader so its buffer can be refilled.
void loader_release(Loader *loader, LoaderBatch *batch);

// Stores the wait times accumulated since the previous call and starts a
// new count. A wait that is still going on is split at this call.
void loader_take_wait_times(Loader *loader, LoaderWaitTimes *times);

// Stops and joins the loader thread, wherever it is, and frees every buffer.
// Batches still held become invalid. Accepts NULL.
void loader_destroy(Loader *loader);

#ifdef __cplusplus
}
#endif

#endif
