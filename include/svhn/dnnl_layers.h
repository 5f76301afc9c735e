#ifndef SVHN_DNNL_LAYERS_H
#define SVHN_DNNL_LAYERS_H

#include <stddef.h>

#include "svhn/error.h"
#include "svhn/layer.h"

#ifdef __cplusplus
extern "C" {
#endif

// One stage of a convolution stack: Conv2D, then an optional MaxPool2D, then
// an optional ReLU, the same functions as conv2d_create, maxpool2d_create
// and relu_create in that order.
typedef struct {
    int out_channels;
    int kernel_size;
    int stride;
    int padding;
    int pool_size;    // max pooling window (pool_size x pool_size); 0 for none
    int pool_stride;
    int relu;         // 1 to end the stage with a ReLU
} ConvStageSpec;

#define CONV_STACK_MAX_STAGES (LAYER_MAX_PARAMS / 2)

// A layer that runs stages[0..stage_count) on oneDNN primitives and keeps
// the activations between stages in oneDNN's preferred layouts; its input
// and output are NCHW like every other layer. Its parameters are, per stage,
// "weight" (out_channels, in_channels, k, k) then "bias" (out_channels),
// the same flat layout as a chain of conv2d_create layers.
//
// Primitives for max_batch are created here; those for another batch size
// are created on its first use and kept for later calls. Returns NULL with a
// message in error (which may be NULL) for an invalid shape or a oneDNN
// failure; free the layer with layer_free().
Layer *conv_stack_create(Shape in_shape, const ConvStageSpec *stages,
                         int stage_count, int max_batch, Error *error);

// Writes one line per primitive used for batch (creating them if needed):
// "stage 0 forward: jit:avx512_core", and so on. Returns the number of
// primitives whose implementation is a reference kernel, or -1 when the
// primitives for batch could not be created.
int conv_stack_describe_impls(Layer *layer, int batch, char *text, size_t text_size);

#ifdef __cplusplus
}
#endif

#endif
