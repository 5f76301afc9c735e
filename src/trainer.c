#include "svhn/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "svhn/loss.h"
#include "svhn/metrics_log.h"
#include "svhn/rng.h"

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
            "test acc %6.2f%%  %8.0f ex/s  %6.1f s\n",
            m->epoch, epochs, m->train_loss, 100.0 * m->train_accuracy,
            m->test_loss, 100.0 * m->test_accuracy, m->examples_per_sec, m->seconds);
    fflush(out);
}

// Trains one epoch over train->count examples in the order `order`.
// Returns 0, or TRAIN_DIVERGED when the loss is not finite.
static int train_epoch(Network *network, Optimizer *optimizer, const Dataset *train,
                       const Normalization *normalization, BatchBuffers *buffers,
                       const int *order, const TrainConfig *config, int epoch,
                       EpochMetrics *metrics, Error *error)
{
    const int classes = network_output_shape(network).channels;
    const int batch_size = config->batch_size;
    const int steps = (train->count + batch_size - 1) / batch_size;
    double loss_sum = 0.0;
    long correct = 0;
    double started = now_seconds();
    double last_shown = 0.0;

    for (int step = 0; step < steps; step++) {
        const int start = step * batch_size;
        const int batch = train->count - start < batch_size ? train->count - start : batch_size;

        dataset_gather_batch(buffers->images, buffers->labels, train, order + start,
                             batch, normalization->mean, normalization->std);

        const float *logits = network_forward(network, buffers->images, batch);
        float loss = softmax_cross_entropy_forward(buffers->probs, logits,
                                                   buffers->labels, batch, classes);
        if (!isfinite(loss)) {
            error_set(error, "training stopped: the loss became %s at epoch %d, step %d "
                      "of %d; try a lower --lr", isnan(loss) ? "NaN" : "infinite",
                      epoch, step + 1, steps);
            return TRAIN_DIVERGED;
        }
        loss_sum += (double)loss * batch;
        correct += count_correct(logits, buffers->labels, batch, classes);

        softmax_cross_entropy_backward(buffers->dlogits, buffers->probs,
                                       buffers->labels, batch, classes);
        network_zero_grad(network);
        network_backward(network, buffers->images, buffers->dlogits, batch);
        optimizer_step(optimizer, network->params, network->grads);

        if (config->show_progress) {
            show_progress(epoch, config->epochs, start + batch, train->count,
                          started, &last_shown);
        }
    }

    double seconds = now_seconds() - started;
    metrics->train_loss = loss_sum / train->count;
    metrics->train_accuracy = (double)correct / train->count;
    metrics->examples_per_sec = seconds > 0.0 ? train->count / seconds : 0.0;
    return 0;
}

int train_run(Network *network, Optimizer *optimizer, const DataSplit *data,
              const TrainConfig *config, FILE *out, Error *error)
{
    const Dataset *train = &data->train;
    const int classes = network_output_shape(network).channels;

    if (config->batch_size <= 0 || config->batch_size > network->max_batch) {
        error_set(error, "batch size %d is outside 1..%d, the network's maximum",
                  config->batch_size, network->max_batch);
        return -1;
    }
    if (train->count <= 0) {
        error_set(error, "the training set is empty");
        return -1;
    }

    Normalization normalization;
    normalization_from_dataset(&normalization, train);

    BatchBuffers buffers;
    if (batch_buffers_init(&buffers, config->batch_size, train->shape, classes, error) != 0) {
        return -1;
    }
    int *order = malloc((size_t)train->count * sizeof(int));
    EpochMetrics *history = calloc((size_t)config->epochs, sizeof(EpochMetrics));
    if (order == NULL || history == NULL) {
        error_set(error, "out of memory for the shuffle order of %d examples", train->count);
        free(order);
        free(history);
        batch_buffers_free(&buffers);
        return -1;
    }
    for (int i = 0; i < train->count; i++) {
        order[i] = i;
    }

    // The shuffle has its own generator, so the order of examples does not
    // depend on how many random numbers initialisation used.
    Rng shuffle_rng;
    rng_seed(&shuffle_rng, config->seed ^ 0x5368756666ull);

    int status = 0;
    for (int epoch = 1; epoch <= config->epochs && status == 0; epoch++) {
        EpochMetrics *metrics = &history[epoch - 1];
        double epoch_started = now_seconds();
        metrics->epoch = epoch;

        rng_shuffle(&shuffle_rng, order, train->count);
        status = train_epoch(network, optimizer, train, &normalization, &buffers,
                             order, config, epoch, metrics, error);
        if (config->show_progress) {
            clear_progress();
        }
        if (status != 0) {
            break;
        }

        evaluate(network, &data->test, &normalization, &buffers,
                 &metrics->test_loss, &metrics->test_accuracy);
        metrics->seconds = now_seconds() - epoch_started;
        print_epoch(out, metrics, config->epochs);

        if (config->log_path != NULL &&
            metrics_log_write(config->log_path, history, epoch,
                              optimizer->config.learning_rate, error) != 0) {
            status = -1;
        }
    }

    free(order);
    free(history);
    batch_buffers_free(&buffers);
    return status;
}
