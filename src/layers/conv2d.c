// Conv2D: direct 2-D convolution (cross-correlation, as in every deep
// learning framework) with bias, any square kernel, stride and zero padding.
//
// weight is (out_channels, in_channels, kernel_size, kernel_size).
// Output size: out = (in + 2 * padding - kernel_size) / stride + 1.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svhn/layer.h"

typedef struct {
    Layer base;
    int kernel_size;
    int stride;
    int padding;
} Conv2D;

// Output position o reads input position o * stride - padding + k. Returns
// the range [first, last) of output positions for which that input position
// lies inside [0, in_size), so the inner loops need no bounds test.
static void valid_output_range(int in_size, int out_size, int k, int stride,
                               int padding, int *first, int *last)
{
    int lo = padding - k;  // o * stride >= lo
    int hi = in_size - 1 + padding - k;  // o * stride <= hi

    *first = lo <= 0 ? 0 : (lo + stride - 1) / stride;
    *last = hi < 0 ? 0 : hi / stride + 1;
    if (*last > out_size) {
        *last = out_size;
    }
    if (*first > *last) {
        *first = *last;
    }
}

// out: (batch, out_channels, out_h, out_w), in: (batch, in_channels, in_h, in_w)
static void conv2d_forward(Layer *layer, float *out, const float *in, int batch)
{
    const Conv2D *conv = (const Conv2D *)layer;
    const Shape is = layer->in_shape;
    const Shape os = layer->out_shape;
    const int k_size = conv->kernel_size;
    const int stride = conv->stride;
    const int padding = conv->padding;
    const float *weight = layer->params[0].value;
    const float *bias = layer->params[1].value;

    #pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < batch; n++) {
        for (int oc = 0; oc < os.channels; oc++) {
            float *y = out + ((size_t)n * os.channels + oc) * os.height * os.width;
            for (int i = 0; i < os.height * os.width; i++) {
                y[i] = bias[oc];
            }

            for (int ic = 0; ic < is.channels; ic++) {
                const float *x = in + ((size_t)n * is.channels + ic) * is.height * is.width;
                const float *w = weight + ((size_t)oc * is.channels + ic) * k_size * k_size;

                for (int kh = 0; kh < k_size; kh++) {
                    int oh_first, oh_last;
                    valid_output_range(is.height, os.height, kh, stride, padding,
                                       &oh_first, &oh_last);
                    for (int kw = 0; kw < k_size; kw++) {
                        int ow_first, ow_last;
                        valid_output_range(is.width, os.width, kw, stride, padding,
                                           &ow_first, &ow_last);
                        const float wv = w[kh * k_size + kw];

                        for (int oh = oh_first; oh < oh_last; oh++) {
                            const float *x_row = x + (size_t)(oh * stride - padding + kh) * is.width;
                            float *y_row = y + (size_t)oh * os.width;
                            for (int ow = ow_first; ow < ow_last; ow++) {
                                y_row[ow] += wv * x_row[ow * stride - padding + kw];
                            }
                        }
                    }
                }
            }
        }
    }
}

// din[n, ic, ih, iw] = sum over (oc, kh, kw) of weight * dout at the output
// position that read (ih, iw); computed by scattering each dout value back
// along the same index map as the forward pass.
static void conv2d_backward_data(const Conv2D *conv, float *din, const float *dout,
                                 int batch)
{
    const Layer *layer = &conv->base;
    const Shape is = layer->in_shape;
    const Shape os = layer->out_shape;
    const int k_size = conv->kernel_size;
    const int stride = conv->stride;
    const int padding = conv->padding;
    const float *weight = layer->params[0].value;

    #pragma omp parallel for schedule(static)
    for (int n = 0; n < batch; n++) {
        float *dx_image = din + (size_t)n * shape_size(is);
        memset(dx_image, 0, shape_size(is) * sizeof(float));

        for (int oc = 0; oc < os.channels; oc++) {
            const float *dy = dout + ((size_t)n * os.channels + oc) * os.height * os.width;
            for (int ic = 0; ic < is.channels; ic++) {
                float *dx = dx_image + (size_t)ic * is.height * is.width;
                const float *w = weight + ((size_t)oc * is.channels + ic) * k_size * k_size;

                for (int kh = 0; kh < k_size; kh++) {
                    int oh_first, oh_last;
                    valid_output_range(is.height, os.height, kh, stride, padding,
                                       &oh_first, &oh_last);
                    for (int kw = 0; kw < k_size; kw++) {
                        int ow_first, ow_last;
                        valid_output_range(is.width, os.width, kw, stride, padding,
                                           &ow_first, &ow_last);
                        const float wv = w[kh * k_size + kw];

                        for (int oh = oh_first; oh < oh_last; oh++) {
                            float *dx_row = dx + (size_t)(oh * stride - padding + kh) * is.width;
                            const float *dy_row = dy + (size_t)oh * os.width;
                            for (int ow = ow_first; ow < ow_last; ow++) {
                                dx_row[ow * stride - padding + kw] += wv * dy_row[ow];
                            }
                        }
                    }
                }
            }
        }
    }
}

// dweight[oc, ic, kh, kw] += sum over (n, oh, ow) of dout * the input value it
// read; dbias[oc] += sum of dout over (n, oh, ow). Threads split the output
// channels, so each gradient element has one writer and a fixed sum order.
static void conv2d_backward_weights(Conv2D *conv, const float *dout,
                                    const float *in, int batch)
{
    Layer *layer = &conv->base;
    const Shape is = layer->in_shape;
    const Shape os = layer->out_shape;
    const int k_size = conv->kernel_size;
    const int stride = conv->stride;
    const int padding = conv->padding;
    float *dweight = layer->params[0].grad;
    float *dbias = layer->params[1].grad;

    #pragma omp parallel for schedule(static)
    for (int oc = 0; oc < os.channels; oc++) {
        float bias_sum = 0.0f;

        for (int n = 0; n < batch; n++) {
            const float *dy = dout + ((size_t)n * os.channels + oc) * os.height * os.width;
            for (int i = 0; i < os.height * os.width; i++) {
                bias_sum += dy[i];
            }

            for (int ic = 0; ic < is.channels; ic++) {
                const float *x = in + ((size_t)n * is.channels + ic) * is.height * is.width;
                float *dw = dweight + ((size_t)oc * is.channels + ic) * k_size * k_size;

                for (int kh = 0; kh < k_size; kh++) {
                    int oh_first, oh_last;
                    valid_output_range(is.height, os.height, kh, stride, padding,
                                       &oh_first, &oh_last);
                    for (int kw = 0; kw < k_size; kw++) {
                        int ow_first, ow_last;
                        valid_output_range(is.width, os.width, kw, stride, padding,
                                           &ow_first, &ow_last);
                        float sum = 0.0f;

                        for (int oh = oh_first; oh < oh_last; oh++) {
                            const float *x_row = x + (size_t)(oh * stride - padding + kh) * is.width;
                            const float *dy_row = dy + (size_t)oh * os.width;
                            for (int ow = ow_first; ow < ow_last; ow++) {
                                sum += dy_row[ow] * x_row[ow * stride - padding + kw];
                            }
                        }
                        dw[kh * k_size + kw] += sum;
                    }
                }
            }
        }
        dbias[oc] += bias_sum;
    }
}

static void conv2d_backward(Layer *layer, float *din, const float *dout,
                            const float *in, const float *out, int batch)
{
    (void)out;
    Conv2D *conv = (Conv2D *)layer;

    if (din != NULL) {
        conv2d_backward_data(conv, din, dout, batch);
    }
    conv2d_backward_weights(conv, dout, in, batch);
}

static double conv2d_flops(const Layer *layer)
{
    const Conv2D *conv = (const Conv2D *)layer;
    return 2.0 * shape_size(layer->out_shape) * layer->in_shape.channels *
           conv->kernel_size * conv->kernel_size;
}

static void conv2d_describe(const Layer *layer, char *text, size_t text_size)
{
    const Conv2D *conv = (const Conv2D *)layer;
    snprintf(text, text_size, "Conv2D %d->%d %dx%d stride %d pad %d",
             layer->in_shape.channels, layer->out_shape.channels,
             conv->kernel_size, conv->kernel_size, conv->stride, conv->padding);
}

static const LayerOps conv2d_ops = {
    .kind = "Conv2D",
    .forward = conv2d_forward,
    .backward = conv2d_backward,
    .flops = conv2d_flops,
    .describe = conv2d_describe,
};

Layer *conv2d_create(Shape in_shape, int out_channels, int kernel_size,
                     int stride, int padding)
{
    if (!shape_is_valid(in_shape) || out_channels <= 0 || kernel_size <= 0 ||
        stride <= 0 || padding < 0) {
        return NULL;
    }
    int out_height = (in_shape.height + 2 * padding - kernel_size) / stride + 1;
    int out_width = (in_shape.width + 2 * padding - kernel_size) / stride + 1;
    if (in_shape.height + 2 * padding < kernel_size ||
        in_shape.width + 2 * padding < kernel_size) {
        return NULL;
    }

    Conv2D *conv = calloc(1, sizeof(*conv));
    if (conv == NULL) {
        return NULL;
    }
    conv->kernel_size = kernel_size;
    conv->stride = stride;
    conv->padding = padding;

    Layer *layer = &conv->base;
    int fan_in = in_shape.channels * kernel_size * kernel_size;
    layer->ops = &conv2d_ops;
    layer->in_shape = in_shape;
    layer->out_shape = (Shape){out_channels, out_height, out_width};
    layer->params[0] = (Param){.name = "weight",
                               .size = (size_t)out_channels * fan_in,
                               .fan_in = fan_in};
    layer->params[1] = (Param){.name = "bias", .size = (size_t)out_channels};
    layer->param_count = 2;
    layer->init_gain = 1.0f;
    return layer;
}
