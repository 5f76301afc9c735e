#ifndef SVHN_RELU_KERNELS_H
#define SVHN_RELU_KERNELS_H

#include <stddef.h>

#include "svhn/simd.h"

#ifdef __cplusplus
extern "C" {
#endif

// out[i] = max(in[i], 0) for count floats. out may equal in.
void relu_forward_kernel(SimdLevel level, float *out, const float *in, size_t count);

// din[i] = out[i] > 0 ? dout[i] : 0, where out is the forward output, so the
// gradient at in == 0 is 0 (as in PyTorch). din may equal dout.
void relu_backward_kernel(SimdLevel level, float *din, const float *dout,
                          const float *out, size_t count);

#ifdef __cplusplus
}
#endif

#endif
