#ifndef SVHN_LAYER_H
#define SVHN_LAYER_H

#include <stddef.h>

#include "svhn/shape.h"

#ifdef __cplusplus
extern "C" {
#endif

// A trainable tensor of a layer. value and grad point into the network's
// single parameter and gradient buffers once the network is built.
typedef struct {
    const char *name;    // "weight" or "bias"
    float *value;
    float *grad;
    size_t size;         // number of floats
    int fan_in;          // inputs feeding one output, for initialisation; 0 for biases
} Param;

// Four, so a composite layer can hold two convolutions (weight and bias each).
#define LAYER_MAX_PARAMS 4

typedef struct Layer Layer;

// One of the model's layers that a composite layer computes, as the network
// summary lists it.
typedef struct {
    char description[96];
    Shape out_shape;
    size_t param_count;
    double flops;  // forward, per example
} LayerPart;

typedef struct {
    const char *kind;    // "Linear", "Conv2D", ...

    // out: (batch, out_shape), in: (batch, in_shape).
    void (*forward)(Layer *layer, float *out, const float *in, int batch);

    // Overwrites din (batch, in_shape) with the input gradient and adds the
    // parameter gradients to each param's grad. din may be NULL when no
    // caller needs the input gradient (the first layer of a network).
    // dout: (batch, out_shape); in and out are the tensors of the forward pass.
    void (*backward)(Layer *layer, float *din, const float *dout,
                     const float *in, const float *out, int batch);

    // Forward floating-point operations for one example (a multiply-add is 2).
    double (*flops)(const Layer *layer);

    // Writes a short description such as "Conv2D 3->6 5x5 stride 1 pad 2".
    void (*describe)(const Layer *layer, char *text, size_t text_size);

    // Composite layers only, NULL for the others: fills parts[0..max_parts)
    // with the layers of the model definition that this layer computes, for
    // the network summary, and returns how many there are.
    int (*parts)(const Layer *layer, LayerPart *parts, int max_parts);

    // Releases what the layer owns besides its own allocation. NULL when
    // free(layer) is enough.
    void (*destroy)(Layer *layer);
} LayerOps;

struct Layer {
    const LayerOps *ops;
    Shape in_shape;
    Shape out_shape;
    Param params[LAYER_MAX_PARAMS];
    int param_count;
    // Standard deviation multiplier for weight initialisation:
    // std = init_gain / sqrt(fan_in). sqrt(2) (He) before a ReLU, 1 otherwise.
    float init_gain;
};

// Frees a layer and what it owns (calls ops->destroy first when set).
// Accepts NULL.
void layer_free(Layer *layer);

// Layer constructors. Each returns NULL when the input shape does not fit
// the layer (for example a kernel larger than the padded image), and the
// caller frees the layer with layer_free().
Layer *linear_create(Shape in_shape, int out_features);
Layer *conv2d_create(Shape in_shape, int out_channels, int kernel_size,
                     int stride, int padding);
Layer *maxpool2d_create(Shape in_shape, int kernel_size, int stride);
Layer *relu_create(Shape in_shape);
Layer *flatten_create(Shape in_shape);

#ifdef __cplusplus
}
#endif

#endif
