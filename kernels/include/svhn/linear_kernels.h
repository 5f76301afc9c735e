#ifndef SVHN_LINEAR_KERNELS_H
#define SVHN_LINEAR_KERNELS_H

#include "svhn/simd.h"

#ifdef __cplusplus
extern "C" {
#endif

// The three products of a linear layer, on the GEMM of the given level.
// weight is (out_features, in_features), row-major, as in PyTorch.

// out (batch, out_features) = in (batch, in_features) · weightᵀ + bias,
// then max(·, 0) when relu is 1. bias is (out_features) or NULL.
void linear_forward_kernel(SimdLevel level, float *out, const float *in,
                           const float *weight, const float *bias, int batch,
                           int in_features, int out_features, int relu);

// din (batch, in_features) = dout (batch, out_features) · weight.
// Overwrites din.
void linear_backward_data_kernel(SimdLevel level, float *din, const float *dout,
                                 const float *weight, int batch, int in_features,
                                 int out_features);

// dweight (out_features, in_features) += doutᵀ · in, and
// dbias (out_features) += column sums of dout (batch, out_features).
// dbias may be NULL.
void linear_backward_weights_kernel(SimdLevel level, float *dweight, float *dbias,
                                    const float *dout, const float *in, int batch,
                                    int in_features, int out_features);

#ifdef __cplusplus
}
#endif

#endif
