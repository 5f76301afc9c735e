#ifndef SVHN_NETWORK_H
#define SVHN_NETWORK_H

#include <stdio.h>

#include "svhn/error.h"
#include "svhn/layer.h"
#include "svhn/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

// An ordered list of layers with every buffer a training step needs,
// allocated once for batches of up to max_batch examples.
typedef struct {
    Layer **layers;
    int layer_count;
    Shape input_shape;
    int max_batch;

    // All parameters in one buffer and all gradients in another, so an
    // optimizer is one loop over param_count floats. Each layer's Param
    // points into them.
    float *params;
    float *grads;
    size_t param_count;

    float **outputs;    // outputs[i]: (max_batch, layers[i]->out_shape)
    float **doutputs;   // doutputs[i]: gradient of the loss for outputs[i]
} Network;

// Takes ownership of layers[0..layer_count) (each freed with layer_free()) and of
// the array itself. Checks that each layer's input shape is the previous
// output shape. Returns NULL with a message on a mismatch or when out of
// memory; the layers are freed in that case too.
Network *network_create(Layer **layers, int layer_count, Shape input_shape,
                        int max_batch, Error *error);
void network_free(Network *network);

// Draws every weight from N(0, (init_gain / sqrt(fan_in))^2) and sets every
// bias to zero.
void network_init_params(Network *network, Rng *rng);

// input: (batch, input_shape). Returns the last layer's output (batch, classes),
// valid until the next forward pass.
const float *network_forward(Network *network, const float *input, int batch);

// Adds the parameter gradients for dlogits (batch, classes) to grads, using
// the activations of the last forward pass on the same input.
void network_backward(Network *network, const float *input,
                      const float *dlogits, int batch);

void network_zero_grad(Network *network);

Shape network_output_shape(const Network *network);

// Prints one row per layer: description, output shape, parameter count and
// forward FLOPs per example, then the totals.
void network_print_summary(const Network *network, FILE *stream);

#ifdef __cplusplus
}
#endif

#endif
