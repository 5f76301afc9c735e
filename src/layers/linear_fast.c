// Linear layer on the SIMD GEMM kernels: the same function and parameters
// as linear.c, which is its reference.

#include <stdio.h>
#include <stdlib.h>

#include "linear_shape.h"
#include "svhn/layers_fast.h"
#include "svhn/linear_kernels.h"

typedef struct {
    Layer base;
    int in_features;
    int out_features;
    int fuse_relu;
    int skip_input_gradient;
    SimdLevel level;
} LinearFast;

// out: (batch, out_features), in: (batch, in_features)
static void linear_fast_forward(Layer *layer, float *out, const float *in, int batch)
{
    const LinearFast *linear = (const LinearFast *)layer;
    linear_forward_kernel(linear->level, out, in, layer->params[0].value,
                          layer->params[1].value, batch, linear->in_features,
                          linear->out_features, linear->fuse_relu);
}

// din = dout · weight          (batch, in_features), skipped when din is NULL
//                              or the layer was created without it
// dweight += doutᵀ · in        (out_features, in_features)
// dbias += column sums of dout (out_features)
static void linear_fast_backward(Layer *layer, float *din, const float *dout,
                                 const float *in, const float *out, int batch)
{
    (void)out;
    const LinearFast *linear = (const LinearFast *)layer;
    if (din != NULL && !linear->skip_input_gradient) {
        linear_backward_data_kernel(linear->level, din, dout, layer->params[0].value,
                                    batch, linear->in_features, linear->out_features);
    }
    linear_backward_weights_kernel(linear->level, layer->params[0].grad,
                                   layer->params[1].grad, dout, in, batch,
                                   linear->in_features, linear->out_features);
}

static double linear_fast_flops(const Layer *layer)
{
    const LinearFast *linear = (const LinearFast *)layer;
    return 2.0 * linear->in_features * linear->out_features;
}

static void linear_fast_describe(const Layer *layer, char *text, size_t text_size)
{
    const LinearFast *linear = (const LinearFast *)layer;
    snprintf(text, text_size, "Linear %d->%d (%s%s)", linear->in_features,
             linear->out_features, simd_level_name(linear->level),
             linear->fuse_relu ? ", fused ReLU" : "");
}

static const LayerOps linear_fast_ops = {
    .kind = "Linear",
    .forward = linear_fast_forward,
    .backward = linear_fast_backward,
    .flops = linear_fast_flops,
    .describe = linear_fast_describe,
};

Layer *linear_fast_create(Shape in_shape, int out_features, int options)
{
    if (!linear_shape_is_valid(in_shape, out_features)) {
        return NULL;
    }

    LinearFast *linear = calloc(1, sizeof(*linear));
    if (linear == NULL) {
        return NULL;
    }
    linear->in_features = in_shape.channels;
    linear->out_features = out_features;
    linear->fuse_relu = (options & LINEAR_FAST_FUSE_RELU) != 0;
    linear->skip_input_gradient = (options & LINEAR_FAST_NO_INPUT_GRADIENT) != 0;
    linear->level = simd_active_level();

    Layer *layer = &linear->base;
    linear_layer_init(layer, &linear_fast_ops, in_shape, out_features);
    return layer;
}
