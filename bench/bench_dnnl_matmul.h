// oneDNN matmul primitives for the three products of a linear layer, as the
// yardstick for the hand-written kernels in layer_bench --check.

#ifndef SVHN_BENCH_DNNL_MATMUL_H
#define SVHN_BENCH_DNNL_MATMUL_H

typedef enum {
    LINEAR_FORWARD,           // out = in · weightᵀ + bias
    LINEAR_BACKWARD_DATA,     // din = dout · weight
    LINEAR_BACKWARD_WEIGHTS,  // dweight += doutᵀ · in
} LinearProduct;

typedef struct DnnlMatmul DnnlMatmul;

// Creates the matmul for one product of a Linear(in_features, out_features)
// layer at the given batch, on our row-major buffers without reorders
// (transposed operands are described by strides), with the accumulation of
// the backward-weights product done by a sum post-op. The buffers must stay
// valid until dnnl_matmul_free. Returns NULL with a message on stderr when
// oneDNN rejects the configuration.
DnnlMatmul *dnnl_matmul_create(LinearProduct product, int batch, int in_features,
                               int out_features, float *in, float *weight, float *bias,
                               float *out, float *dout, float *din, float *dweight);

// Runs the product once and waits for it.
void dnnl_matmul_run(DnnlMatmul *matmul);

// The oneDNN implementation name, such as "brg:avx512_core".
const char *dnnl_matmul_implementation(const DnnlMatmul *matmul);

void dnnl_matmul_free(DnnlMatmul *matmul);

#endif
