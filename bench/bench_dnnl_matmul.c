#include "bench_dnnl_matmul.h"

#include <stdio.h>
#include <stdlib.h>

#include <dnnl.h>

struct DnnlMatmul {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_desc_t primitive_desc;
    dnnl_primitive_t primitive;
    dnnl_memory_t memories[4];   // src, weights, dst, bias (may be NULL)
    dnnl_exec_arg_t args[4];
    int arg_count;
};

static int check(dnnl_status_t status, const char *call)
{
    if (status != dnnl_success) {
        fprintf(stderr, "layer_bench: oneDNN %s failed with status %d\n", call, (int)status);
        return -1;
    }
    return 0;
}

// A (rows, cols) matrix with the given strides in floats.
static dnnl_memory_desc_t matrix_desc(int rows, int cols, long row_stride, long col_stride)
{
    dnnl_memory_desc_t desc;
    const dnnl_dims_t dims = {rows, cols};
    const dnnl_dims_t strides = {row_stride, col_stride};
    dnnl_memory_desc_init_by_strides(&desc, 2, dims, dnnl_f32, strides);
    return desc;
}

void dnnl_matmul_free(DnnlMatmul *matmul)
{
    if (matmul == NULL) {
        return;
    }
    for (int i = 0; i < 4; i++) {
        if (matmul->memories[i] != NULL) {
            dnnl_memory_destroy(matmul->memories[i]);
        }
    }
    if (matmul->primitive != NULL) {
        dnnl_primitive_destroy(matmul->primitive);
    }
    if (matmul->primitive_desc != NULL) {
        dnnl_primitive_desc_destroy(matmul->primitive_desc);
    }
    if (matmul->stream != NULL) {
        dnnl_stream_destroy(matmul->stream);
    }
    if (matmul->engine != NULL) {
        dnnl_engine_destroy(matmul->engine);
    }
    free(matmul);
}

static int add_argument(DnnlMatmul *matmul, int arg, const dnnl_memory_desc_t *desc, float *data)
{
    dnnl_memory_t *memory = &matmul->memories[matmul->arg_count];
    if (check(dnnl_memory_create(memory, desc, matmul->engine, data), "memory_create") != 0) {
        return -1;
    }
    matmul->args[matmul->arg_count] = (dnnl_exec_arg_t){.arg = arg, .memory = *memory};
    matmul->arg_count++;
    return 0;
}

DnnlMatmul *dnnl_matmul_create(LinearProduct product, int batch, int in_features,
                               int out_features, float *in, float *weight, float *bias,
                               float *out, float *dout, float *din, float *dweight)
{
    DnnlMatmul *matmul = calloc(1, sizeof(*matmul));
    if (matmul == NULL) {
        return NULL;
    }
    if (check(dnnl_engine_create(&matmul->engine, dnnl_cpu, 0), "engine_create") != 0 ||
        check(dnnl_stream_create(&matmul->stream, matmul->engine, dnnl_stream_default_flags),
              "stream_create") != 0) {
        dnnl_matmul_free(matmul);
        return NULL;
    }

    // src (M, K) · weights (K, N) = dst (M, N), each described on our
    // buffers; a transposed operand swaps the strides.
    dnnl_memory_desc_t src;
    dnnl_memory_desc_t weights;
    dnnl_memory_desc_t dst;
    dnnl_memory_desc_t bias_desc;
    float *src_data;
    float *weights_data;
    float *dst_data;
    int with_bias = 0;
    int accumulate = 0;

    switch (product) {
    case LINEAR_FORWARD:
        src = matrix_desc(batch, in_features, in_features, 1);
        weights = matrix_desc(in_features, out_features, 1, in_features);
        dst = matrix_desc(batch, out_features, out_features, 1);
        bias_desc = matrix_desc(1, out_features, out_features, 1);
        src_data = in;
        weights_data = weight;
        dst_data = out;
        with_bias = 1;
        break;
    case LINEAR_BACKWARD_DATA:
        src = matrix_desc(batch, out_features, out_features, 1);
        weights = matrix_desc(out_features, in_features, in_features, 1);
        dst = matrix_desc(batch, in_features, in_features, 1);
        src_data = dout;
        weights_data = weight;
        dst_data = din;
        break;
    default:
        src = matrix_desc(out_features, batch, 1, out_features);
        weights = matrix_desc(batch, in_features, in_features, 1);
        dst = matrix_desc(out_features, in_features, in_features, 1);
        src_data = dout;
        weights_data = in;
        dst_data = dweight;
        accumulate = 1;
        break;
    }

    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    int failed = check(dnnl_matmul_desc_init(&desc, &src, &weights,
                                             with_bias ? &bias_desc : NULL, &dst),
                       "matmul_desc_init");
    if (!failed && accumulate) {
        failed = check(dnnl_primitive_attr_create(&attr), "primitive_attr_create") ||
                 check(dnnl_post_ops_create(&post_ops), "post_ops_create") ||
                 check(dnnl_post_ops_append_sum(post_ops, 1.0f), "post_ops_append_sum") ||
                 check(dnnl_primitive_attr_set_post_ops(attr, post_ops),
                       "primitive_attr_set_post_ops");
    }
    if (!failed) {
        failed = check(dnnl_primitive_desc_create(&matmul->primitive_desc, &desc, attr,
                                                  matmul->engine, NULL),
                       "primitive_desc_create") ||
                 check(dnnl_primitive_create(&matmul->primitive, matmul->primitive_desc),
                       "primitive_create");
    }
    if (post_ops != NULL) {
        dnnl_post_ops_destroy(post_ops);
    }
    if (attr != NULL) {
        dnnl_primitive_attr_destroy(attr);
    }
    if (!failed) {
        failed = add_argument(matmul, DNNL_ARG_SRC, &src, src_data) ||
                 add_argument(matmul, DNNL_ARG_WEIGHTS, &weights, weights_data) ||
                 add_argument(matmul, DNNL_ARG_DST, &dst, dst_data) ||
                 (with_bias && add_argument(matmul, DNNL_ARG_BIAS, &bias_desc, bias));
    }
    if (failed) {
        dnnl_matmul_free(matmul);
        return NULL;
    }
    return matmul;
}

void dnnl_matmul_run(DnnlMatmul *matmul)
{
    dnnl_primitive_execute(matmul->primitive, matmul->stream, matmul->arg_count, matmul->args);
    dnnl_stream_wait(matmul->stream);
}

const char *dnnl_matmul_implementation(const DnnlMatmul *matmul)
{
    const char *name = "unknown";
    dnnl_primitive_desc_query(matmul->primitive_desc, dnnl_query_impl_info_str, 0, &name);
    return name;
}
