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

#ifdef __cplusplus
}
#endif

#endif
