#include "svhn/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "svhn/loss.h"
#include "svhn/metrics_log.h"
#include "train_progress.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// Rewrites one terminal line with the epoch's progress, at most every 0.2 s.
static void show_progress(int epoch, int epochs, int done, int total,
                          double started, double *last_shown)
{
    double now = now_seconds();
    if (now - *last_shown < 0.2 && done < total) {
        return;
    }
    *last_shown = now;

    double elapsed = now - started;
    double rate = elapsed > 0.0 ? done / elapsed : 0.0;
    double remaining = rate > 0.0 ? (total - done) / rate : 0.0;
    fprintf(stderr, "\r\033[Kepoch %d/%d  %5.1f%%  %8.0f ex/s  %5.0f s left",
            epoch, epochs, 100.0 * done / total, rate, remaining);
    fflush(stderr);
}

static void clear_progress(void)
{
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

static void print_epoch(FILE *out, const EpochMetrics *m, int epochs)
{
    fprintf(out, "epoch %2d/%d  train loss %.4f  train acc %6.2f%%  test loss %.4f  "
            "test acc %6.2f%%  %8.0f ex/s  %6.1f s  data wait %.2f s  loader wait %.2f s\n",
            m->epoch, epochs, m->train_loss, 100.0 * m->train_accuracy,
            m->test_loss, 100.0 * m->test_accuracy, m->examples_per_sec, m->seconds,
            m->data_wait_seconds, m->loader_wait_seconds);
    fflush(out);
}

// What a run owns besides the network and the optimizer.
typedef struct {
    Loader *train_loader;
    Loader *test_loader;       // NULL when the test set is empty
    float *probs;              // (batch_size, classes), softmax output
    float *dlogits;            // (batch_size, classes)
    LoaderBatch *fixed_batch;  // compute-only runs: the batch every step trains on
    TrainProgress progress;    // position, order and metrics, for checkpoints
} TrainState;

// One optimizer step on `batch` examples. Returns the batch's mean loss.
static float train_step(Network *network, Optimizer *optimizer, TrainState *state,
                        const float *images, const uint8_t *labels, int batch,
                        long *correct)
{
    const int classes = network_output_shape(network).channels;
    const float *logits = network_forward(network, images, batch);
    float loss = softmax_cross_entropy_forward(state->probs, logits, labels, batch, classes);
    if (!isfinite(loss)) {
        return loss;
    }
    *correct += count_correct(logits, labels, batch, classes);

    softmax_cross_entropy_backward(state->dlogits, state->probs, labels, batch, classes);
    network_zero_grad(network);
    network_backward(network, images, state->dlogits, batch);
    optimizer_step(optimizer, network->params, network->grads);
    return loss;
}

static void set_interrupted_message(Error *error, const TrainState *state, int epoch,
                                    int step, int steps)
{
    error_set(error, "interrupted in epoch %d after step %d of %d (epochs completed: %d, "
              "steps completed: %ld)", epoch, step, steps, epoch - 1,
              state->progress.steps_done);
}

// Calls the checkpoint hook after a training step when one is due: every
// checkpoint_every_steps steps, except after the last step of an epoch,
// whose checkpoint follows its evaluation.
static int save_after_step(const TrainConfig *config, const TrainProgress *progress,
                           int steps, Error *error)
{
    if (config->checkpoint_hook == NULL || config->checkpoint_every_steps <= 0 ||
        progress->steps_done % config->checkpoint_every_steps != 0 ||
        progress->steps_in_epoch >= steps) {
        return 0;
    }
    return config->checkpoint_hook(config->checkpoint_context, progress, error) != 0 ? -1 : 0;
}

// Trains one epoch on the batches of the training loader's next pass,
// starting after the steps_in_epoch steps that a resumed run already did.
// Returns 0, TRAIN_DIVERGED when the loss is not finite, TRAIN_INTERRUPTED,
// or -1 when the loader or the checkpoint hook fails.
static int train_epoch(Network *network, Optimizer *optimizer, const Dataset *train,
                       TrainState *state, const TrainConfig *config, int epoch,
                       EpochMetrics *metrics, Error *error)
{
    const int steps = loader_steps_per_pass(state->train_loader);
    TrainProgress *progress = &state->progress;
    const int first_step = progress->steps_in_epoch;
    double started = now_seconds();
    double last_shown = 0.0;

    for (int step = first_step; step < steps; step++) {
        if (config->interrupt_flag != NULL && *config->interrupt_flag) {
            set_interrupted_message(error, state, epoch, step, steps);
            return TRAIN_INTERRUPTED;
        }

        const int start = step * config->batch_size;
        const int remaining = train->count - start;
        LoaderBatch *batch = state->fixed_batch;
        if (batch == NULL && loader_next(state->train_loader, &batch, error) != 0) {
            return -1;
        }
        const int count = remaining < batch->count ? remaining : batch->count;
        if (step == 0) {
            train_progress_begin_pass(progress);
        }

        float loss = train_step(network, optimizer, state, batch->images, batch->labels,
                                count, &progress->epoch_correct);
        if (!isfinite(loss)) {
            error_set(error, "training stopped: the loss became %s at epoch %d, step %d "
                      "of %d; try a lower --lr", isnan(loss) ? "NaN" : "infinite",
                      epoch, step + 1, steps);
            return TRAIN_DIVERGED;
        }
        progress->epoch_loss_sum += (double)loss * count;
        if (batch != state->fixed_batch) {
            loader_release(state->train_loader, batch);
        }
        progress->steps_done++;
        progress->steps_in_epoch = step + 1;
        if (save_after_step(config, progress, steps, error) != 0) {
            return -1;
        }

        if (config->show_progress) {
            show_progress(epoch, config->epochs, start + count, train->count,
                          started, &last_shown);
        }
    }

    // A resumed epoch's rate counts only the examples trained in this run.
    double seconds = now_seconds() - started;
    const int examples = train->count - first_step * config->batch_size;
    metrics->train_loss = progress->epoch_loss_sum / train->count;
    metrics->train_accuracy = (double)progress->epoch_correct / train->count;
    metrics->examples_per_sec = seconds > 0.0 ? examples / seconds : 0.0;
    return 0;
}

// Adds the waits of one phase to the epoch. The loader's counts are
// restarted before the phase, so its idle time during the other phase is
// left out.
static void add_wait_times(EpochMetrics *metrics, Loader *loader)
{
    LoaderWaitTimes times;
    loader_take_wait_times(loader, &times);
    metrics->data_wait_seconds += times.consumer_seconds;
    metrics->loader_wait_seconds += times.producer_seconds;
}

// Trains and evaluates one epoch and fills its metrics. Returns 0 or the
// status of the step or evaluation that stopped it.
static int run_epoch(Network *network, Optimizer *optimizer, const DataSplit *data,
                     TrainState *state, const TrainConfig *config, int epoch,
                     EpochMetrics *metrics, Error *error)
{
    LoaderWaitTimes ignored;
    double epoch_started = now_seconds();
    metrics->epoch = epoch;

    loader_take_wait_times(state->train_loader, &ignored);
    int status = train_epoch(network, optimizer, &data->train, state, config, epoch,
                             metrics, error);
    if (config->show_progress) {
        clear_progress();
    }
    if (status != 0) {
        return status;
    }
    add_wait_times(metrics, state->train_loader);

    if (state->test_loader != NULL) {
        loader_take_wait_times(state->test_loader, &ignored);
        status = evaluate_from_loader(network, state->test_loader, state->probs,
                                      config->interrupt_flag, &metrics->test_loss,
                                      &metrics->test_accuracy, error);
        if (status == TRAIN_INTERRUPTED) {
            error_set(error, "interrupted while evaluating epoch %d, after its training "
                      "(epochs completed: %d, steps completed: %ld)",
                      epoch, epoch, state->progress.steps_done);
        }
        if (status != 0) {
            return status;
        }
        add_wait_times(metrics, state->test_loader);
    }
    metrics->seconds = now_seconds() - epoch_started;
    return 0;
}

static void free_state(TrainState *state)
{
    train_progress_free(&state->progress);
    loader_destroy(state->train_loader);
    loader_destroy(state->test_loader);
    free(state->probs);
    free(state->dlogits);
}

// Creates the loaders and buffers of a run. Returns 0, or -1 with a message
// and nothing left allocated.
static int init_state(TrainState *state, const Network *network, const DataSplit *data,
                      const TrainConfig *config, EpochMetrics *history, Error *error)
{
    const int classes = network_output_shape(network).channels;
    const uint64_t shuffle_seed = config->seed ^ 0x5368756666ull;

    *state = (TrainState){0};
    if (train_progress_start(&state->progress, config, &data->train, shuffle_seed,
                             history, error) != 0) {
        return -1;
    }
    const TrainProgress *progress = &state->progress;
    const Normalization *normalization = &progress->normalization;
    state->probs = malloc((size_t)config->batch_size * classes * sizeof(float));
    state->dlogits = malloc((size_t)config->batch_size * classes * sizeof(float));
    if (state->probs == NULL || state->dlogits == NULL) {
        error_set(error, "out of memory for batch buffers of %d examples", config->batch_size);
        free_state(state);
        return -1;
    }

    // The shuffle has its own generator, so the order of examples does not
    // depend on how many random numbers initialisation used.
    LoaderConfig loader_config = {
        .dataset = &data->train,
        .mean = normalization->mean,
        .std = normalization->std,
        .batch_size = config->batch_size,
        .passes = config->epochs,
        .depth = config->prefetch_depth,
        .shuffle = 1,
        .shuffle_seed = shuffle_seed,
    };
    // A resumed run starts the loader where the checkpoint stopped.
    if (config->resume != NULL) {
        const int steps = (data->train.count + config->batch_size - 1) / config->batch_size;
        loader_config.start_order = progress->order;
        loader_config.start_rng = &progress->shuffle_rng;
        loader_config.first_batch = train_progress_first_batch(progress, steps);
    }
    state->train_loader = loader_create(&loader_config, error);
    if (state->train_loader == NULL) {
        free_state(state);
        return -1;
    }

    if (data->test.count > 0) {
        loader_config.dataset = &data->test;
        loader_config.shuffle = 0;
        loader_config.passes = config->epochs - progress->epochs_done;
        loader_config.start_order = NULL;
        state->test_loader = loader_create(&loader_config, error);
        if (state->test_loader == NULL) {
            free_state(state);
            return -1;
        }
    }

    if (config->compute_only &&
        loader_next(state->train_loader, &state->fixed_batch, error) != 0) {
        free_state(state);
        return -1;
    }
    return 0;
}

int train_run(Network *network, Optimizer *optimizer, const DataSplit *data,
              const TrainConfig *config, FILE *out, Error *error)
{
    if (config->batch_size <= 0 || config->batch_size > network->max_batch) {
        error_set(error, "batch size %d is outside 1..%d, the network's maximum",
                  config->batch_size, network->max_batch);
        return -1;
    }
    if (data->train.count <= 0) {
        error_set(error, "the training set is empty");
        return -1;
    }
    if (config->prefetch_depth < 0) {
        error_set(error, "prefetch depth %d is negative", config->prefetch_depth);
        return -1;
    }

    EpochMetrics *history = calloc((size_t)config->epochs, sizeof(EpochMetrics));
    if (history == NULL) {
        error_set(error, "out of memory for the metrics of %d epochs", config->epochs);
        return -1;
    }
    TrainState state;
    if (init_state(&state, network, data, config, history, error) != 0) {
        free(history);
        return -1;
    }

    int status = 0;
    for (int epoch = state.progress.epochs_done + 1; epoch <= config->epochs && status == 0;
         epoch++) {
        EpochMetrics *metrics = &history[epoch - 1];
        status = run_epoch(network, optimizer, data, &state, config, epoch, metrics, error);
        if (status != 0) {
            break;
        }
        print_epoch(out, metrics, config->epochs);

        if (config->log_path != NULL &&
            metrics_log_write(config->log_path, history, epoch,
                              optimizer->config.learning_rate, error) != 0) {
            status = -1;
            break;
        }

        TrainProgress *progress = &state.progress;
        progress->epochs_done = epoch;
        progress->steps_in_epoch = 0;
        progress->epoch_loss_sum = 0.0;
        progress->epoch_correct = 0;
        if (config->checkpoint_hook != NULL &&
            config->checkpoint_hook(config->checkpoint_context, progress, error) != 0) {
            status = -1;
        }
    }

    free_state(&state);
    free(history);
    return status;
}
