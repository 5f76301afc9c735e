// Flatten: (C, H, W) -> (C*H*W, 1, 1). In NCHW memory order both shapes
// have the same bytes, so forward and backward are plain copies.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svhn/layer.h"

static void flatten_forward(Layer *layer, float *out, const float *in, int batch)
{
    memcpy(out, in, (size_t)batch * shape_size(layer->in_shape) * sizeof(float));
}

static void flatten_backward(Layer *layer, float *din, const float *dout,
                             const float *in, const float *out, int batch)
{
    (void)in;
    (void)out;
    if (din != NULL) {
        memcpy(din, dout, (size_t)batch * shape_size(layer->in_shape) * sizeof(float));
    }
}

static double flatten_flops(const Layer *layer)
{
    (void)layer;
    return 0.0;
}

static void flatten_describe(const Layer *layer, char *text, size_t text_size)
{
    (void)layer;
    snprintf(text, text_size, "Flatten");
}

static const LayerOps flatten_ops = {
    .kind = "Flatten",
    .forward = flatten_forward,
    .backward = flatten_backward,
    .flops = flatten_flops,
    .describe = flatten_describe,
};

Layer *flatten_create(Shape in_shape)
{
    if (!shape_is_valid(in_shape)) {
        return NULL;
    }
    Layer *layer = calloc(1, sizeof(*layer));
    if (layer == NULL) {
        return NULL;
    }
    layer->ops = &flatten_ops;
    layer->in_shape = in_shape;
    layer->out_shape = (Shape){(int)shape_size(in_shape), 1, 1};
    layer->init_gain = 1.0f;
    return layer;
}
