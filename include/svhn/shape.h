#ifndef SVHN_SHAPE_H
#define SVHN_SHAPE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// The shape of one example, without the batch dimension. A batch of N
// examples is stored in NCHW order: (N, channels, height, width), row-major.
// Vectors such as the output of a linear layer are (features, 1, 1).
typedef struct {
    int channels;
    int height;
    int width;
} Shape;

static inline size_t shape_size(Shape shape)
{
    return (size_t)shape.channels * shape.height * shape.width;
}

// Returns whether every dimension is positive. Layer constructors check this
// before shape_size, which multiplies in size_t, so a negative dimension
// gives a huge or (for two of them) a positive size instead of 0.
static inline int shape_is_valid(Shape shape)
{
    return shape.channels > 0 && shape.height > 0 && shape.width > 0;
}

#ifdef __cplusplus
}
#endif

#endif
