// The products of a linear layer expressed as GEMMs with strided views, so
// no operand is transposed in memory before packing.

#include "svhn/linear_kernels.h"

#include "svhn/gemm.h"

static MatrixView row_major(const float *data, int cols)
{
    return (MatrixView){.data = data, .row_stride = cols, .col_stride = 1};
}

static MatrixView transposed(const float *data, int cols)
{
    return (MatrixView){.data = data, .row_stride = 1, .col_stride = cols};
}

void linear_forward_kernel(SimdLevel level, float *out, const float *in,
                           const float *weight, const float *bias, int batch,
                           int in_features, int out_features, int relu)
{
    // (batch, in) · (in, out): B is weight (out, in) read transposed.
    GemmEpilogue epilogue = {.accumulate = 0, .bias = bias, .relu = relu};
    gemm(level, batch, out_features, in_features, row_major(in, in_features),
         transposed(weight, in_features), out, out_features, epilogue);
}

void linear_backward_data_kernel(SimdLevel level, float *din, const float *dout,
                                 const float *weight, int batch, int in_features,
                                 int out_features)
{
    // (batch, out) · (out, in).
    GemmEpilogue epilogue = {.accumulate = 0};
    gemm(level, batch, in_features, out_features, row_major(dout, out_features),
         row_major(weight, in_features), din, in_features, epilogue);
}

// dbias += sum over the batch of dout's rows. The loop over features is
// innermost, so it reads dout contiguously and vectorises.
static void add_column_sums(float *dbias, const float *dout, int batch, int features)
{
    for (int n = 0; n < batch; n++) {
        const float *row = dout + (long)n * features;
        #pragma omp simd
        for (int o = 0; o < features; o++) {
            dbias[o] += row[o];
        }
    }
}

void linear_backward_weights_kernel(SimdLevel level, float *dweight, float *dbias,
                                    const float *dout, const float *in, int batch,
                                    int in_features, int out_features)
{
    // (out, batch) · (batch, in): A is dout (batch, out) read transposed.
    GemmEpilogue epilogue = {.accumulate = 1};
    gemm(level, out_features, in_features, batch, transposed(dout, out_features),
         row_major(in, in_features), dweight, in_features, epilogue);

    if (dbias != NULL) {
        add_column_sums(dbias, dout, batch, out_features);
    }
}
