// Operations on a loaded Dataset: freeing, truncating, per-channel
// statistics and conversion of one batch to normalised floats.

#include "svhn/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dataset_free(Dataset *dataset)
{
    if (dataset == NULL) {
        return;
    }
    free(dataset->images);
    free(dataset->labels);
    memset(dataset, 0, sizeof *dataset);
}

void dataset_truncate(Dataset *dataset, int limit)
{
    if (limit <= 0 || limit >= dataset->count) {
        return;
    }
    dataset->count = limit;

    // Shrinking gives the memory back when it works, and the larger blocks
    // stay valid when it does not.
    uint8_t *images = realloc(dataset->images, (size_t)limit * shape_size(dataset->shape));
    if (images != NULL) {
        dataset->images = images;
    }
    uint8_t *labels = realloc(dataset->labels, (size_t)limit);
    if (labels != NULL) {
        dataset->labels = labels;
    }
}

// NOTE: std is 0 for a channel with one constant value and mean and std are
// both 0 for an empty set, so callers that divide by std must check for it.
void dataset_channel_stats(const Dataset *dataset, float *mean, float *std)
{
    int channels = dataset->shape.channels;
    size_t plane_size = (size_t)dataset->shape.height * dataset->shape.width;
    size_t image_size = shape_size(dataset->shape);
    double values = (double)dataset->count * plane_size;

    for (int c = 0; c < channels; c++) {
        // Integer sums are exact: the full SVHN train set gives at most
        // 255^2 * 73,257 * 1,024 ~ 4.9e12 for the sum of squares.
        uint64_t sum = 0, sum_of_squares = 0;

        #pragma omp parallel for reduction(+ : sum, sum_of_squares) if (dataset->count > 1024)
        for (int n = 0; n < dataset->count; n++) {
            const uint8_t *plane = dataset->images + n * image_size + c * plane_size;
            uint64_t plane_sum = 0, plane_squares = 0;
            for (size_t i = 0; i < plane_size; i++) {
                plane_sum += plane[i];
                plane_squares += (uint32_t)plane[i] * plane[i];
            }
            sum += plane_sum;
            sum_of_squares += plane_squares;
        }

        if (values == 0) {
            mean[c] = 0.0f;
            std[c] = 0.0f;
            continue;
        }

        // Population statistics of pixel / 255.
        double pixel_mean = (double)sum / values;
        double pixel_variance = (double)sum_of_squares / values - pixel_mean * pixel_mean;
        if (pixel_variance < 0) {
            pixel_variance = 0;
        }
        mean[c] = (float)(pixel_mean / 255.0);
        std[c] = (float)(sqrt(pixel_variance) / 255.0);
    }
}

void dataset_gather_batch(float *images_out, uint8_t *labels_out,
                          const Dataset *dataset, const int *indices, int batch,
                          const float *mean, const float *std)
{
    int channels = dataset->shape.channels;
    size_t plane_size = (size_t)dataset->shape.height * dataset->shape.width;
    size_t image_size = shape_size(dataset->shape);

    for (int c = 0; c < channels; c++) {
        // A pixel has only 256 values, so the formula runs once per value and
        // the copy below is a table lookup.
        float table[256];
        for (int value = 0; value < 256; value++) {
            table[value] = ((float)value / 255.0f - mean[c]) / std[c];
        }

        #pragma omp parallel for if ((size_t)batch * plane_size > (1u << 16))
        for (int b = 0; b < batch; b++) {
            const uint8_t *source = dataset->images + (size_t)indices[b] * image_size
                                    + c * plane_size;
            float *target = images_out + b * image_size + c * plane_size;
            for (size_t i = 0; i < plane_size; i++) {
                target[i] = table[source[i]];
            }
        }
    }

    for (int b = 0; b < batch; b++) {
        labels_out[b] = dataset->labels[indices[b]];
    }
}

const char *dataset_kind_name(DatasetKind kind)
{
    switch (kind) {
    case DATASET_AUTO:
        return "auto";
    case DATASET_SVHN:
        return "svhn";
    case DATASET_MNIST:
        return "mnist";
    }
    return "unknown";
}
