// Float buffers on a 64-byte boundary (a cache line and an AVX-512 vector)
// for activations, parameters and batches, released with free().

#ifndef SVHN_FLOAT_BUFFER_H
#define SVHN_FLOAT_BUFFER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Allocates `count` floats (at least one) starting on a 64-byte boundary,
// uninitialised; returns NULL when memory runs out.
float *float_buffer_alloc(size_t count);

// Same as float_buffer_alloc, with every float set to zero.
float *float_buffer_alloc_zeroed(size_t count);

#ifdef __cplusplus
}
#endif

#endif
