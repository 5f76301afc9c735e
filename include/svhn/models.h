#ifndef SVHN_MODELS_H
#define SVHN_MODELS_H

#include "svhn/network.h"

#ifdef __cplusplus
extern "C" {
#endif

// Which implementation runs the layers. Both compute the same functions; the
// reference is plain C and is what the fast backend is tested against.
typedef enum {
    BACKEND_REFERENCE,  // plain C layers in src/layers/
    BACKEND_FAST,       // the fastest implementation available for each layer
} Backend;

typedef enum {
    MODEL_MLP,   // Flatten -> Linear(in, 1024) -> ReLU -> Linear(1024, classes)
    MODEL_LNET,  // LeNet-style CNN, see model_create
} ModelKind;

// Builds a model for examples of input_shape. LNet is
// Conv(c,6,5x5,pad 2) -> MaxPool 2 -> ReLU -> Conv(6,16,3x3,pad 1) ->
// MaxPool 2 -> ReLU -> Flatten -> Linear(16*H/4*W/4, 256) -> ReLU ->
// Linear(256, classes). Parameters are left uninitialised.
Network *model_create(ModelKind kind, Shape input_shape, int classes,
                      int max_batch, Backend backend, Error *error);

const char *model_kind_name(ModelKind kind);
const char *backend_name(Backend backend);

#ifdef __cplusplus
}
#endif

#endif
