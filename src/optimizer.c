#include "svhn/optimizer.h"

#include <math.h>
#include <stdlib.h>

#include "svhn/float_buffer.h"

OptimizerConfig optimizer_default_config(OptimizerKind kind)
{
    OptimizerConfig config = {
        .kind = kind,
        .learning_rate = kind == OPTIMIZER_SGD ? 0.01f : 1e-3f,
        .weight_decay = 0.0f,
        .momentum = 0.9f,
        .beta1 = 0.9f,
        .beta2 = 0.999f,
        .epsilon = 1e-8f,
    };
    return config;
}

int optimizer_init(Optimizer *optimizer, const OptimizerConfig *config,
                   size_t size, Error *error)
{
    *optimizer = (Optimizer){.config = *config, .size = size};

    if (config->kind == OPTIMIZER_SGD) {
        optimizer->velocity = float_buffer_alloc_zeroed(size);
        if (optimizer->velocity == NULL) {
            error_set(error, "out of memory for the SGD momentum buffer (%zu floats)", size);
            return -1;
        }
        return 0;
    }

    optimizer->moment1 = float_buffer_alloc_zeroed(size);
    optimizer->moment2 = float_buffer_alloc_zeroed(size);
    if (optimizer->moment1 == NULL || optimizer->moment2 == NULL) {
        optimizer_free(optimizer);
        error_set(error, "out of memory for the Adam moments (2 x %zu floats)", size);
        return -1;
    }
    return 0;
}

void optimizer_free(Optimizer *optimizer)
{
    free(optimizer->velocity);
    free(optimizer->moment1);
    free(optimizer->moment2);
    optimizer->velocity = NULL;
    optimizer->moment1 = NULL;
    optimizer->moment2 = NULL;
}

static void sgd_step(Optimizer *optimizer, float *params, const float *grads)
{
    const OptimizerConfig *c = &optimizer->config;
    float *velocity = optimizer->velocity;
    const long size = (long)optimizer->size;

    #pragma omp parallel for simd schedule(static) if (size > 65536)
    for (long i = 0; i < size; i++) {
        float g = grads[i] + c->weight_decay * params[i];
        velocity[i] = c->momentum * velocity[i] + g;
        params[i] -= c->learning_rate * velocity[i];
    }
}

static void adam_step(Optimizer *optimizer, float *params, const float *grads)
{
    const OptimizerConfig *c = &optimizer->config;
    float *m = optimizer->moment1;
    float *v = optimizer->moment2;
    const long size = (long)optimizer->size;

    // Bias corrections for moments that started at zero, t = step count.
    const double t = (double)optimizer->step;
    const float correction1 = (float)(1.0 - pow(c->beta1, t));
    const float correction2 = (float)(1.0 - pow(c->beta2, t));
    const float step_size = c->learning_rate / correction1;
    const float inv_sqrt_correction2 = 1.0f / sqrtf(correction2);

    #pragma omp parallel for simd schedule(static) if (size > 65536)
    for (long i = 0; i < size; i++) {
        float g = grads[i] + c->weight_decay * params[i];
        m[i] = c->beta1 * m[i] + (1.0f - c->beta1) * g;
        v[i] = c->beta2 * v[i] + (1.0f - c->beta2) * g * g;
        float denominator = sqrtf(v[i]) * inv_sqrt_correction2 + c->epsilon;
        params[i] -= step_size * m[i] / denominator;
    }
}

void optimizer_step(Optimizer *optimizer, float *params, const float *grads)
{
    optimizer->step++;
    if (optimizer->config.kind == OPTIMIZER_SGD) {
        sgd_step(optimizer, params, grads);
    } else {
        adam_step(optimizer, params, grads);
    }
}

const char *optimizer_kind_name(OptimizerKind kind)
{
    return kind == OPTIMIZER_SGD ? "sgd" : "adam";
}
