// ReLU layer on the SIMD kernels: the same function as relu.c.

#include <stdio.h>
#include <stdlib.h>

#include "svhn/layers_fast.h"
#include "svhn/relu_kernels.h"

typedef struct {
    Layer base;
    SimdLevel level;
} ReluFast;

static void relu_fast_forward(Layer *layer, float *out, const float *in, int batch)
{
    const ReluFast *relu = (const ReluFast *)layer;
    relu_forward_kernel(relu->level, out, in, (size_t)batch * shape_size(layer->in_shape));
}

// The gradient passes where the output is positive (0 at in == 0).
static void relu_fast_backward(Layer *layer, float *din, const float *dout,
                               const float *in, const float *out, int batch)
{
    (void)in;
    if (din == NULL) {
        return;
    }
    const ReluFast *relu = (const ReluFast *)layer;
    relu_backward_kernel(relu->level, din, dout, out,
                         (size_t)batch * shape_size(layer->in_shape));
}

static double relu_fast_flops(const Layer *layer)
{
    return (double)shape_size(layer->in_shape);
}

static void relu_fast_describe(const Layer *layer, char *text, size_t text_size)
{
    const ReluFast *relu = (const ReluFast *)layer;
    snprintf(text, text_size, "ReLU (%s)", simd_level_name(relu->level));
}

static const LayerOps relu_fast_ops = {
    .kind = "ReLU",
    .forward = relu_fast_forward,
    .backward = relu_fast_backward,
    .flops = relu_fast_flops,
    .describe = relu_fast_describe,
};

Layer *relu_fast_create(Shape in_shape)
{
    if (!shape_is_valid(in_shape)) {
        return NULL;
    }
    ReluFast *relu = calloc(1, sizeof(*relu));
    if (relu == NULL) {
        return NULL;
    }
    relu->level = simd_active_level();

    Layer *layer = &relu->base;
    layer->ops = &relu_fast_ops;
    layer->in_shape = in_shape;
    layer->out_shape = in_shape;
    layer->init_gain = 1.0f;
    return layer;
}
