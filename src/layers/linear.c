// Linear (fully connected) layer: out = in · weightᵀ + bias.
//
// weight is (out_features, in_features), row-major, as in PyTorch, so each
// output feature reads one contiguous row.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linear_shape.h"
#include "svhn/layer.h"

typedef struct {
    Layer base;
    int in_features;
    int out_features;
} Linear;

// out: (batch, out_features), in: (batch, in_features)
static void linear_forward(Layer *layer, float *out, const float *in, int batch)
{
    const Linear *linear = (const Linear *)layer;
    const int in_features = linear->in_features;
    const int out_features = linear->out_features;
    const float *weight = layer->params[0].value;
    const float *bias = layer->params[1].value;

    #pragma omp parallel for schedule(static)
    for (int n = 0; n < batch; n++) {
        const float *x = in + (size_t)n * in_features;
        float *y = out + (size_t)n * out_features;
        for (int o = 0; o < out_features; o++) {
            const float *w = weight + (size_t)o * in_features;
            float sum = 0.0f;
            #pragma omp simd reduction(+:sum)
            for (int i = 0; i < in_features; i++) {
                sum += x[i] * w[i];
            }
            y[o] = sum + bias[o];
        }
    }
}

// din = dout · weight          (batch, in_features)
// dweight += doutᵀ · in        (out_features, in_features)
// dbias += column sums of dout (out_features)
static void linear_backward(Layer *layer, float *din, const float *dout,
                            const float *in, const float *out, int batch)
{
    (void)out;
    const Linear *linear = (const Linear *)layer;
    const int in_features = linear->in_features;
    const int out_features = linear->out_features;
    const float *weight = layer->params[0].value;
    float *dweight = layer->params[0].grad;
    float *dbias = layer->params[1].grad;

    if (din != NULL) {
        #pragma omp parallel for schedule(static)
        for (int n = 0; n < batch; n++) {
            float *dx = din + (size_t)n * in_features;
            const float *dy = dout + (size_t)n * out_features;
            memset(dx, 0, (size_t)in_features * sizeof(float));
            for (int o = 0; o < out_features; o++) {
                const float *w = weight + (size_t)o * in_features;
                const float g = dy[o];
                for (int i = 0; i < in_features; i++) {
                    dx[i] += g * w[i];
                }
            }
        }
    }

    // Each thread owns whole rows of dweight, so the sums need no locking
    // and their order does not depend on the thread count.
    #pragma omp parallel for schedule(static)
    for (int o = 0; o < out_features; o++) {
        float *dw = dweight + (size_t)o * in_features;
        float bias_sum = 0.0f;
        for (int n = 0; n < batch; n++) {
            const float g = dout[(size_t)n * out_features + o];
            const float *x = in + (size_t)n * in_features;
            for (int i = 0; i < in_features; i++) {
                dw[i] += g * x[i];
            }
            bias_sum += g;
        }
        dbias[o] += bias_sum;
    }
}

static double linear_flops(const Layer *layer)
{
    const Linear *linear = (const Linear *)layer;
    return 2.0 * linear->in_features * linear->out_features;
}

static void linear_describe(const Layer *layer, char *text, size_t text_size)
{
    const Linear *linear = (const Linear *)layer;
    snprintf(text, text_size, "Linear %d->%d", linear->in_features,
             linear->out_features);
}

static const LayerOps linear_ops = {
    .kind = "Linear",
    .forward = linear_forward,
    .backward = linear_backward,
    .flops = linear_flops,
    .describe = linear_describe,
};

Layer *linear_create(Shape in_shape, int out_features)
{
    if (!linear_shape_is_valid(in_shape, out_features)) {
        return NULL;
    }

    Linear *linear = calloc(1, sizeof(*linear));
    if (linear == NULL) {
        return NULL;
    }
    linear->in_features = in_shape.channels;
    linear->out_features = out_features;

    Layer *layer = &linear->base;
    linear_layer_init(layer, &linear_ops, in_shape, out_features);
    return layer;
}
