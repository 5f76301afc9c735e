#include "svhn/confusion.h"

#include "svhn/loss.h"

static int predicted_class(const float *logits, int classes)
{
    int best = 0;
    for (int k = 1; k < classes; k++) {
        if (logits[k] > logits[best]) {
            best = k;
        }
    }
    return best;
}

int confusion_evaluate(Network *network, const Dataset *data,
                       const Normalization *normalization, int batch_size,
                       ConfusionMatrix *matrix, Error *error)
{
    *matrix = (ConfusionMatrix){0};
    const int classes = network_output_shape(network).channels;
    if (classes != DATASET_CLASSES) {
        error_set(error, "the network has %d outputs, expected %d classes", classes,
                  DATASET_CLASSES);
        return -1;
    }
    if (batch_size < 1 || batch_size > network->max_batch) {
        error_set(error, "batch size %d is outside 1..%d", batch_size, network->max_batch);
        return -1;
    }
    BatchBuffers buffers;
    if (batch_buffers_init(&buffers, batch_size, data->shape, classes, error) != 0) {
        return -1;
    }

    for (int start = 0; start < data->count; start += batch_size) {
        const int batch = data->count - start < batch_size ? data->count - start : batch_size;
        for (int b = 0; b < batch; b++) {
            buffers.indices[b] = start + b;
        }
        dataset_gather_batch(buffers.images, buffers.labels, data, buffers.indices, batch,
                             normalization->mean, normalization->std);
        const float *logits = network_forward(network, buffers.images, batch);
        float loss = softmax_cross_entropy_forward(buffers.probs, logits, buffers.labels,
                                                   batch, classes);
        matrix->loss_sum += (double)loss * batch;
        for (int b = 0; b < batch; b++) {
            int predicted = predicted_class(logits + (size_t)b * classes, classes);
            matrix->counts[buffers.labels[b]][predicted]++;
        }
        matrix->total += batch;
    }
    batch_buffers_free(&buffers);
    return 0;
}

double confusion_accuracy(const ConfusionMatrix *matrix)
{
    long correct = 0;
    for (int c = 0; c < DATASET_CLASSES; c++) {
        correct += matrix->counts[c][c];
    }
    return matrix->total > 0 ? (double)correct / matrix->total : 0.0;
}

double confusion_precision(const ConfusionMatrix *matrix, int c)
{
    long predicted = 0;
    for (int t = 0; t < DATASET_CLASSES; t++) {
        predicted += matrix->counts[t][c];
    }
    return predicted > 0 ? (double)matrix->counts[c][c] / predicted : 0.0;
}

double confusion_recall(const ConfusionMatrix *matrix, int c)
{
    long actual = 0;
    for (int p = 0; p < DATASET_CLASSES; p++) {
        actual += matrix->counts[c][p];
    }
    return actual > 0 ? (double)matrix->counts[c][c] / actual : 0.0;
}
