#ifndef SVHN_LINEAR_SHAPE_H
#define SVHN_LINEAR_SHAPE_H

// The shape and parameter layout that every linear layer implementation
// shares, so the reference and fast layers stay interchangeable.

#include "svhn/layer.h"

// Returns 1 when a linear layer with out_features outputs accepts in_shape:
// a flat (features, 1, 1) input, which a Flatten layer produces.
int linear_shape_is_valid(Shape in_shape, int out_features);

// Sets the fields of `layer` that a linear layer needs: its ops, the shapes,
// "weight" (out_features, in_features) and "bias" (out_features), and an
// initialisation gain of 1.
void linear_layer_init(Layer *layer, const LayerOps *ops, Shape in_shape, int out_features);

#endif
