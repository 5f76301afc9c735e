// ReLU: out = max(in, 0), elementwise.

#include <stdio.h>
#include <stdlib.h>

#include "svhn/layer.h"

static void relu_forward(Layer *layer, float *out, const float *in, int batch)
{
    const size_t count = (size_t)batch * shape_size(layer->in_shape);

    #pragma omp parallel for simd schedule(static) if (count > 65536)
    for (size_t i = 0; i < count; i++) {
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    }
}

// The gradient passes where the output is positive. At in == 0 it is taken
// as 0, the usual choice (PyTorch does the same).
static void relu_backward(Layer *layer, float *din, const float *dout,
                          const float *in, const float *out, int batch)
{
    (void)in;
    if (din == NULL) {
        return;
    }
    const size_t count = (size_t)batch * shape_size(layer->in_shape);

    #pragma omp parallel for simd schedule(static) if (count > 65536)
    for (size_t i = 0; i < count; i++) {
        din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
    }
}

static double relu_flops(const Layer *layer)
{
    return (double)shape_size(layer->in_shape);
}

static void relu_describe(const Layer *layer, char *text, size_t text_size)
{
    (void)layer;
    snprintf(text, text_size, "ReLU");
}

static const LayerOps relu_ops = {
    .kind = "ReLU",
    .forward = relu_forward,
    .backward = relu_backward,
    .flops = relu_flops,
    .describe = relu_describe,
};

Layer *relu_create(Shape in_shape)
{
    if (!shape_is_valid(in_shape)) {
        return NULL;
    }
    Layer *layer = calloc(1, sizeof(*layer));
    if (layer == NULL) {
        return NULL;
    }
    layer->ops = &relu_ops;
    layer->in_shape = in_shape;
    layer->out_shape = in_shape;
    layer->init_gain = 1.0f;
    return layer;
}
