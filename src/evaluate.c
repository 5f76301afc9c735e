#include <stdlib.h>

#include "svhn/float_buffer.h"
#include "svhn/loss.h"
#include "svhn/trainer.h"

void normalization_from_dataset(Normalization *normalization, const Dataset *train)
{
    dataset_channel_stats(train, normalization->mean, normalization->std);

    // A constant channel would divide by zero; leave it unscaled instead.
    for (int c = 0; c < train->shape.channels; c++) {
        if (!(normalization->std[c] > 1e-6f)) {
            normalization->std[c] = 1.0f;
        }
    }
}

int batch_buffers_init(BatchBuffers *buffers, int capacity, Shape shape,
                       int classes, Error *error)
{
    *buffers = (BatchBuffers){.capacity = capacity};
    buffers->images = float_buffer_alloc((size_t)capacity * shape_size(shape));
    buffers->labels = malloc((size_t)capacity);
    buffers->probs = malloc((size_t)capacity * classes * sizeof(float));
    buffers->dlogits = malloc((size_t)capacity * classes * sizeof(float));
    buffers->indices = malloc((size_t)capacity * sizeof(int));

    if (buffers->images == NULL || buffers->labels == NULL || buffers->probs == NULL ||
        buffers->dlogits == NULL || buffers->indices == NULL) {
        batch_buffers_free(buffers);
        error_set(error, "out of memory for batch buffers of %d examples", capacity);
        return -1;
    }
    return 0;
}

void batch_buffers_free(BatchBuffers *buffers)
{
    free(buffers->images);
    free(buffers->labels);
    free(buffers->probs);
    free(buffers->dlogits);
    free(buffers->indices);
    *buffers = (BatchBuffers){0};
}

// Runs the forward pass on one batch and adds its summed loss and its number
// of correct predictions to the totals.
static void evaluate_batch(Network *network, const float *images, const uint8_t *labels,
                           int batch, float *probs, double *loss_sum, long *correct)
{
    const int classes = network_output_shape(network).channels;
    const float *logits = network_forward(network, images, batch);
    float batch_loss = softmax_cross_entropy_forward(probs, logits, labels, batch, classes);
    *loss_sum += (double)batch_loss * batch;
    *correct += count_correct(logits, labels, batch, classes);
}

void evaluate(Network *network, const Dataset *data,
              const Normalization *normalization, BatchBuffers *buffers,
              double *loss, double *accuracy)
{
    const int capacity = buffers->capacity;
    double loss_sum = 0.0;
    long correct = 0;

    for (int start = 0; start < data->count; start += capacity) {
        int batch = data->count - start < capacity ? data->count - start : capacity;
        for (int b = 0; b < batch; b++) {
            buffers->indices[b] = start + b;
        }

        dataset_gather_batch(buffers->images, buffers->labels, data, buffers->indices,
                             batch, normalization->mean, normalization->std);
        evaluate_batch(network, buffers->images, buffers->labels, batch, buffers->probs,
                       &loss_sum, &correct);
    }

    *loss = data->count > 0 ? loss_sum / data->count : 0.0;
    *accuracy = data->count > 0 ? (double)correct / data->count : 0.0;
}

int evaluate_from_loader(Network *network, Loader *loader, float *probs,
                         const volatile sig_atomic_t *interrupt_flag, double *loss,
                         double *accuracy, Error *error)
{
    const int steps = loader_steps_per_pass(loader);
    double loss_sum = 0.0;
    long correct = 0;
    long examples = 0;

    for (int step = 0; step < steps; step++) {
        if (interrupt_flag != NULL && *interrupt_flag) {
            return TRAIN_INTERRUPTED;
        }
        LoaderBatch *batch;
        if (loader_next(loader, &batch, error) != 0) {
            return -1;
        }
        evaluate_batch(network, batch->images, batch->labels, batch->count, probs,
                       &loss_sum, &correct);
        examples += batch->count;
        loader_release(loader, batch);
    }

    *loss = examples > 0 ? loss_sum / examples : 0.0;
    *accuracy = examples > 0 ? (double)correct / examples : 0.0;
    return 0;
}
