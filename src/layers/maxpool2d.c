// MaxPool2D: the maximum over each kernel_size x kernel_size window, windows
// stepping by stride, no padding. out = (in - kernel_size) / stride + 1.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svhn/layer.h"

typedef struct {
    Layer base;
    int kernel_size;
    int stride;
} MaxPool2D;

// Returns the offset within the plane x (width in_width) of the window's
// maximum, the first one in row-major order on a tie. Forward and backward
// both use it, so the gradient goes to the element the forward pass chose.
static int window_argmax(const float *x, int in_width, int top, int left,
                         int kernel_size)
{
    int best = top * in_width + left;
    for (int kh = 0; kh < kernel_size; kh++) {
        for (int kw = 0; kw < kernel_size; kw++) {
            int offset = (top + kh) * in_width + left + kw;
            if (x[offset] > x[best]) {
                best = offset;
            }
        }
    }
    return best;
}

// out: (batch, C, out_h, out_w), in: (batch, C, in_h, in_w)
static void maxpool2d_forward(Layer *layer, float *out, const float *in, int batch)
{
    const MaxPool2D *pool = (const MaxPool2D *)layer;
    const Shape is = layer->in_shape;
    const Shape os = layer->out_shape;
    const int planes = batch * is.channels;

    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *x = in + (size_t)p * is.height * is.width;
        float *y = out + (size_t)p * os.height * os.width;
        for (int oh = 0; oh < os.height; oh++) {
            for (int ow = 0; ow < os.width; ow++) {
                int best = window_argmax(x, is.width, oh * pool->stride,
                                         ow * pool->stride, pool->kernel_size);
                y[oh * os.width + ow] = x[best];
            }
        }
    }
}

// Each output gradient goes to the input element that was the window's
// maximum; overlapping windows (stride < kernel_size) add up.
static void maxpool2d_backward(Layer *layer, float *din, const float *dout,
                               const float *in, const float *out, int batch)
{
    (void)out;
    if (din == NULL) {
        return;
    }
    const MaxPool2D *pool = (const MaxPool2D *)layer;
    const Shape is = layer->in_shape;
    const Shape os = layer->out_shape;
    const int planes = batch * is.channels;

    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *x = in + (size_t)p * is.height * is.width;
        const float *dy = dout + (size_t)p * os.height * os.width;
        float *dx = din + (size_t)p * is.height * is.width;

        memset(dx, 0, (size_t)is.height * is.width * sizeof(float));
        for (int oh = 0; oh < os.height; oh++) {
            for (int ow = 0; ow < os.width; ow++) {
                int best = window_argmax(x, is.width, oh * pool->stride,
                                         ow * pool->stride, pool->kernel_size);
                dx[best] += dy[oh * os.width + ow];
            }
        }
    }
}

static double maxpool2d_flops(const Layer *layer)
{
    const MaxPool2D *pool = (const MaxPool2D *)layer;
    return (double)shape_size(layer->out_shape) * pool->kernel_size * pool->kernel_size;
}

static void maxpool2d_describe(const Layer *layer, char *text, size_t text_size)
{
    const MaxPool2D *pool = (const MaxPool2D *)layer;
    snprintf(text, text_size, "MaxPool2D %dx%d stride %d", pool->kernel_size,
             pool->kernel_size, pool->stride);
}

static const LayerOps maxpool2d_ops = {
    .kind = "MaxPool2D",
    .forward = maxpool2d_forward,
    .backward = maxpool2d_backward,
    .flops = maxpool2d_flops,
    .describe = maxpool2d_describe,
};

Layer *maxpool2d_create(Shape in_shape, int kernel_size, int stride)
{
    if (!shape_is_valid(in_shape) || kernel_size <= 0 || stride <= 0 ||
        in_shape.height < kernel_size || in_shape.width < kernel_size) {
        return NULL;
    }

    MaxPool2D *pool = calloc(1, sizeof(*pool));
    if (pool == NULL) {
        return NULL;
    }
    pool->kernel_size = kernel_size;
    pool->stride = stride;

    Layer *layer = &pool->base;
    layer->ops = &maxpool2d_ops;
    layer->in_shape = in_shape;
    layer->out_shape = (Shape){in_shape.channels,
                               (in_shape.height - kernel_size) / stride + 1,
                               (in_shape.width - kernel_size) / stride + 1};
    layer->init_gain = 1.0f;
    return layer;
}
