// For pthread_setname_np.
#define _GNU_SOURCE

#include "svhn/loader.h"

#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svhn/float_buffer.h"
#include "svhn/rng.h"

// The ring is a fixed array of slots used in sequence: batch number `seq`
// (counted over all passes) goes to slot seq % slot_count. The producer may
// fill batch seq once seq - released < slot_count, and the consumer may take
// it once produced > seq. Each slot is written only outside the mutex by the
// producer and read only by the consumer, and the counters, which hand it
// from one to the other, are read and written under the mutex.
struct Loader {
    const Dataset *dataset;
    float *mean;  // (channels)
    float *std;   // (channels)
    int batch_size;
    int depth;
    int shuffle;
    LoaderBatchHook batch_hook;
    void *hook_context;

    int steps_per_pass;
    int64_t total_batches;  // passes * steps_per_pass
    int64_t first_batch;    // 0, or the batch a resumed run starts with
    int slot_count;         // depth, or 1 when depth is 0
    LoaderBatch *slots;     // (slot_count)

    // Used only by the thread that prepares batches.
    int *order;  // (dataset->count), the running order, reshuffled every pass
    Rng rng;

    pthread_t thread;
    int thread_started;
    pthread_mutex_t mutex;
    pthread_cond_t batch_ready;  // signalled when produced grows or the producer fails
    pthread_cond_t slot_freed;   // signalled when released grows or stop is set

    // Guarded by mutex.
    int64_t produced;
    int64_t taken;
    int64_t released;
    int stop;
    int failed;
    Error failure;
    double consumer_wait;
    double producer_wait;
    int producer_waiting;
    double producer_wait_started;
};

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int loader_steps_per_pass(const Loader *loader)
{
    return loader->steps_per_pass;
}

// Fills `slot` with batch number `seq`. The first batch of a pass reshuffles
// the running order, exactly as the synchronous trainer did once per epoch,
// so both paths draw the same numbers from the generator.
static int prepare_batch(Loader *loader, LoaderBatch *slot, int64_t seq, Error *error)
{
    const Dataset *dataset = loader->dataset;
    const int pass = (int)(seq / loader->steps_per_pass);
    const int step = (int)(seq % loader->steps_per_pass);
    const int start = step * loader->batch_size;
    const int remaining = dataset->count - start;
    const int count = remaining < loader->batch_size ? remaining : loader->batch_size;

    if (step == 0 && loader->shuffle) {
        rng_shuffle(&loader->rng, loader->order, dataset->count);
    }

    memcpy(slot->indices, loader->order + start, (size_t)count * sizeof(int));
    dataset_gather_batch(slot->images, slot->labels, dataset, slot->indices, count,
                         loader->mean, loader->std);
    slot->count = count;
    slot->pass = pass;
    slot->step = step;

    if (loader->batch_hook != NULL) {
        return loader->batch_hook(loader->hook_context, slot, error);
    }
    return 0;
}

// Blocks until slot seq % slot_count is free or the loader is stopped, and
// counts the time blocked. Returns 0 when the slot is free, -1 on stop.
static int wait_for_free_slot(Loader *loader, int64_t seq)
{
    pthread_mutex_lock(&loader->mutex);
    while (!loader->stop && seq - loader->released >= loader->slot_count) {
        if (!loader->producer_waiting) {
            loader->producer_waiting = 1;
            loader->producer_wait_started = now_seconds();
        }
        pthread_cond_wait(&loader->slot_freed, &loader->mutex);
    }
    if (loader->producer_waiting) {
        loader->producer_wait += now_seconds() - loader->producer_wait_started;
        loader->producer_waiting = 0;
    }
    int stopped = loader->stop;
    pthread_mutex_unlock(&loader->mutex);
    return stopped ? -1 : 0;
}

static void *run_loader_thread(void *argument)
{
    Loader *loader = argument;

    // The name shows in top -H, gdb and /proc/PID/task/TID/comm.
    pthread_setname_np(pthread_self(), LOADER_THREAD_NAME);

    // dataset_gather_batch parallelises large batches with OpenMP. Here that
    // would start a second thread team next to the compute threads, so the
    // loader keeps to its own thread.
    omp_set_num_threads(1);

    for (int64_t seq = loader->first_batch; seq < loader->total_batches; seq++) {
        if (wait_for_free_slot(loader, seq) != 0) {
            break;
        }

        Error error = {{0}};
        int status = prepare_batch(loader, &loader->slots[seq % loader->slot_count], seq,
                                   &error);

        pthread_mutex_lock(&loader->mutex);
        if (status != 0) {
            loader->failed = 1;
            loader->failure = error;
        } else {
            loader->produced = seq + 1;
        }
        pthread_cond_signal(&loader->batch_ready);
        pthread_mutex_unlock(&loader->mutex);
        if (status != 0) {
            break;
        }
    }
    return NULL;
}

static int check_config(const LoaderConfig *config, Error *error)
{
    if (config->dataset == NULL || config->dataset->count <= 0) {
        error_set(error, "loader: the dataset is empty");
        return -1;
    }
    if (config->start_order != NULL &&
        (config->start_rng == NULL || config->first_batch < 0)) {
        error_set(error, "loader: a resume point needs a generator state and a first "
                  "batch >= 0 (got first batch %lld)", (long long)config->first_batch);
        return -1;
    }
    if (config->mean == NULL || config->std == NULL) {
        error_set(error, "loader: the normalisation mean and std are missing");
        return -1;
    }
    if (config->batch_size <= 0 || config->passes <= 0 || config->depth < 0) {
        error_set(error, "loader: invalid batch size %d, passes %d or depth %d; expected "
                  "batch size and passes >= 1 and depth >= 0",
                  config->batch_size, config->passes, config->depth);
        return -1;
    }
    return 0;
}

static void free_buffers(Loader *loader)
{
    if (loader->slots != NULL) {
        for (int i = 0; i < loader->slot_count; i++) {
            free(loader->slots[i].images);
            free(loader->slots[i].labels);
            free(loader->slots[i].indices);
        }
    }
    free(loader->slots);
    free(loader->order);
    free(loader->mean);
    free(loader->std);
}

// Allocates the ring, the order and the normalisation copies. Returns 0 or -1.
static int allocate_buffers(Loader *loader, const LoaderConfig *config)
{
    const Dataset *dataset = config->dataset;
    const int channels = dataset->shape.channels;
    const size_t image_floats = shape_size(dataset->shape);

    loader->mean = malloc((size_t)channels * sizeof(float));
    loader->std = malloc((size_t)channels * sizeof(float));
    loader->order = malloc((size_t)dataset->count * sizeof(int));
    loader->slots = calloc((size_t)loader->slot_count, sizeof(LoaderBatch));
    if (loader->mean == NULL || loader->std == NULL || loader->order == NULL ||
        loader->slots == NULL) {
        return -1;
    }
    memcpy(loader->mean, config->mean, (size_t)channels * sizeof(float));
    memcpy(loader->std, config->std, (size_t)channels * sizeof(float));
    if (config->start_order != NULL) {
        memcpy(loader->order, config->start_order, (size_t)dataset->count * sizeof(int));
    } else {
        for (int i = 0; i < dataset->count; i++) {
            loader->order[i] = i;
        }
    }

    for (int i = 0; i < loader->slot_count; i++) {
        LoaderBatch *slot = &loader->slots[i];
        slot->images = float_buffer_alloc((size_t)config->batch_size * image_floats);
        slot->labels = malloc((size_t)config->batch_size);
        slot->indices = malloc((size_t)config->batch_size * sizeof(int));
        if (slot->images == NULL || slot->labels == NULL || slot->indices == NULL) {
            return -1;
        }
    }
    return 0;
}

// Starts the thread with every signal blocked, because a thread inherits
// the creator's mask. Returns 0 or the pthread_create error number.
static int start_thread(Loader *loader)
{
    sigset_t all_signals, previous;
    sigfillset(&all_signals);
    pthread_sigmask(SIG_SETMASK, &all_signals, &previous);
    int status = pthread_create(&loader->thread, NULL, run_loader_thread, loader);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return status;
}

Loader *loader_create(const LoaderConfig *config, Error *error)
{
    if (check_config(config, error) != 0) {
        return NULL;
    }
    Loader *loader = calloc(1, sizeof(Loader));
    if (loader == NULL) {
        error_set(error, "loader: out of memory");
        return NULL;
    }

    const int count = config->dataset->count;
    loader->dataset = config->dataset;
    loader->batch_size = config->batch_size;
    loader->depth = config->depth;
    loader->shuffle = config->shuffle;
    loader->batch_hook = config->batch_hook;
    loader->hook_context = config->hook_context;
    loader->steps_per_pass = (count + config->batch_size - 1) / config->batch_size;
    loader->total_batches = (int64_t)config->passes * loader->steps_per_pass;
    loader->slot_count = config->depth > 0 ? config->depth : 1;
    rng_seed(&loader->rng, config->shuffle_seed);
    if (config->start_order != NULL) {
        loader->rng = *config->start_rng;
        loader->first_batch = config->first_batch;
        loader->produced = config->first_batch;
        loader->taken = config->first_batch;
        loader->released = config->first_batch;
    }

    if (allocate_buffers(loader, config) != 0) {
        error_set(error, "loader: out of memory for %d batch buffers of %d examples",
                  loader->slot_count, config->batch_size);
        free_buffers(loader);
        free(loader);
        return NULL;
    }

    pthread_mutex_init(&loader->mutex, NULL);
    pthread_cond_init(&loader->batch_ready, NULL);
    pthread_cond_init(&loader->slot_freed, NULL);
    if (config->depth > 0) {
        int status = start_thread(loader);
        if (status != 0) {
            error_set(error, "loader: cannot start the loader thread: %s", strerror(status));
            loader_destroy(loader);
            return NULL;
        }
        loader->thread_started = 1;
    }
    return loader;
}

// Prepares the next batch in the caller's thread (depth 0).
static int next_batch_in_caller(Loader *loader, LoaderBatch **batch, Error *error)
{
    if (loader->failed) {
        error_set(error, "%s", loader->failure.message);
        return -1;
    }
    LoaderBatch *slot = &loader->slots[0];
    if (prepare_batch(loader, slot, loader->taken, &loader->failure) != 0) {
        loader->failed = 1;
        error_set(error, "%s", loader->failure.message);
        return -1;
    }
    loader->taken++;
    *batch = slot;
    return 0;
}

int loader_next(Loader *loader, LoaderBatch **batch, Error *error)
{
    // Only the consumer changes `taken`, so reading it without the mutex is safe.
    if (loader->taken >= loader->total_batches) {
        error_set(error, "loader: all %lld batches were already handed out",
                  (long long)loader->total_batches);
        return -1;
    }
    if (loader->taken - loader->released >= loader->slot_count) {
        error_set(error, "loader: %d batches are held; release one before asking for "
                  "the next", loader->slot_count);
        return -1;
    }
    if (loader->depth == 0) {
        return next_batch_in_caller(loader, batch, error);
    }

    pthread_mutex_lock(&loader->mutex);
    if (loader->produced <= loader->taken && !loader->failed) {
        double started = now_seconds();
        while (loader->produced <= loader->taken && !loader->failed) {
            pthread_cond_wait(&loader->batch_ready, &loader->mutex);
        }
        loader->consumer_wait += now_seconds() - started;
    }

    // Batches prepared before a failure are still handed out in order.
    int status = 0;
    if (loader->produced > loader->taken) {
        *batch = &loader->slots[loader->taken % loader->slot_count];
        loader->taken++;
    } else {
        error_set(error, "%s", loader->failure.message);
        status = -1;
    }
    pthread_mutex_unlock(&loader->mutex);
    return status;
}

void loader_release(Loader *loader, LoaderBatch *batch)
{
    (void)batch;  // batches come back in order, so the counter names the slot
    pthread_mutex_lock(&loader->mutex);
    if (loader->released < loader->taken) {
        loader->released++;
        pthread_cond_signal(&loader->slot_freed);
    }
    pthread_mutex_unlock(&loader->mutex);
}

void loader_take_wait_times(Loader *loader, LoaderWaitTimes *times)
{
    pthread_mutex_lock(&loader->mutex);
    double now = now_seconds();
    times->consumer_seconds = loader->consumer_wait;
    times->producer_seconds = loader->producer_wait;
    if (loader->producer_waiting) {
        times->producer_seconds += now - loader->producer_wait_started;
        loader->producer_wait_started = now;
    }
    loader->consumer_wait = 0.0;
    loader->producer_wait = 0.0;
    pthread_mutex_unlock(&loader->mutex);
}

void loader_destroy(Loader *loader)
{
    if (loader == NULL) {
        return;
    }
    if (loader->thread_started) {
        pthread_mutex_lock(&loader->mutex);
        loader->stop = 1;
        pthread_cond_broadcast(&loader->slot_freed);
        pthread_mutex_unlock(&loader->mutex);
        pthread_join(loader->thread, NULL);
    }
    pthread_cond_destroy(&loader->slot_freed);
    pthread_cond_destroy(&loader->batch_ready);
    pthread_mutex_destroy(&loader->mutex);
    free_buffers(loader);
    free(loader);
}
