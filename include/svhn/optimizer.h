#ifndef SVHN_OPTIMIZER_H
#define SVHN_OPTIMIZER_H

#include <stddef.h>

#include "svhn/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    OPTIMIZER_SGD,
    OPTIMIZER_ADAM,
} OptimizerKind;

typedef struct {
    OptimizerKind kind;
    float learning_rate;
    float weight_decay;  // L2 term added to the gradient: g += weight_decay * w
    float momentum;      // SGD only
    float beta1;         // Adam only
    float beta2;         // Adam only
    float epsilon;       // Adam only
} OptimizerConfig;

// Works on the flat parameter list, so it never needs to know layer types.
typedef struct {
    OptimizerConfig config;
    size_t size;
    float *velocity;   // SGD momentum buffer (size), NULL for Adam
    float *moment1;    // Adam first moment (size), NULL for SGD
    float *moment2;    // Adam second moment (size), NULL for SGD
    long step;         // updates done so far
} Optimizer;

// Defaults: SGD lr 0.01, momentum 0.9; Adam lr 1e-3, betas 0.9 and 0.999,
// epsilon 1e-8; no weight decay.
OptimizerConfig optimizer_default_config(OptimizerKind kind);

int optimizer_init(Optimizer *optimizer, const OptimizerConfig *config,
                   size_t size, Error *error);
void optimizer_free(Optimizer *optimizer);

// One update of params (size) from grads (size).
// SGD:  v = momentum * v + g;  w -= lr * v
// Adam: m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//       w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// with g = grad + weight_decay * w, the same rules as PyTorch's SGD and Adam.
void optimizer_step(Optimizer *optimizer, float *params, const float *grads);

const char *optimizer_kind_name(OptimizerKind kind);

#ifdef __cplusplus
}
#endif

#endif
