#ifndef SVHN_LAYERS_FAST_H
#define SVHN_LAYERS_FAST_H

#include "svhn/layer.h"

#ifdef __cplusplus
extern "C" {
#endif

// Layers on the hand-written SIMD kernels (kernels/), at the level
// simd_active_level() returns. Each computes the same function as its
// reference in layer.h, has the same kind, parameters, fan_in and init_gain,
// and is freed with free().

// Options of linear_fast_create, combined with |.
enum {
    // The forward output is max(in · weightᵀ + bias, 0), for a Linear that
    // a ReLU layer follows: that layer then passes it through unchanged, and
    // backward is unaffected because the mask comes from the ReLU's output.
    LINEAR_FAST_FUSE_RELU = 1,
    // backward never computes din, even when it is not NULL. Only for a
    // Linear layer that no layer with parameters precedes, whose input
    // gradient therefore reaches no parameter.
    LINEAR_FAST_NO_INPUT_GRADIENT = 2,
};

// Linear, as linear_create, with the options above.
Layer *linear_fast_create(Shape in_shape, int out_features, int options);

// ReLU, as relu_create.
Layer *relu_fast_create(Shape in_shape);

#ifdef __cplusplus
}
#endif

#endif
