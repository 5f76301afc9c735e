#include "conv_rows_onednn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "conv_rows_kernels.h"

struct ConvRowsOnednn {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_desc_t forward_desc;
    dnnl_primitive_desc_t backward_desc;
    dnnl_primitive_t forward;
    dnnl_primitive_t backward_weights;
    dnnl_memory_t src;            // caller's in, NCHW
    dnnl_memory_t weights;        // forward layout, owned
    dnnl_memory_t bias;           // caller's bias
    dnnl_memory_t dst;            // forward layout, owned
    dnnl_memory_t diff_dst;       // backward-weights layout, owned
    dnnl_memory_t diff_weights;   // backward-weights layout, owned
    dnnl_memory_t diff_bias;      // owned, plain
    dnnl_dims_t src_dims;
    dnnl_dims_t weights_dims;
    dnnl_dims_t bias_dims;
    dnnl_dims_t dst_dims;
};

static int check(dnnl_status_t status, const char *call)
{
    if (status != dnnl_success) {
        fprintf(stderr, "conv_rows_probe: oneDNN %s failed with status %d\n", call, (int)status);
        return -1;
    }
    return 0;
}

static dnnl_memory_desc_t plain_desc(const dnnl_dims_t dims, int ndims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t desc;
    dnnl_memory_desc_init_by_tag(&desc, ndims, dims, dnnl_f32, tag);
    return desc;
}

// Copies `from` into `to`, converting the layout, with a reorder primitive
// made for this one call.
static int reorder(ConvRowsOnednn *conv, dnnl_memory_t from, dnnl_memory_t to)
{
    const dnnl_memory_desc_t *from_desc;
    const dnnl_memory_desc_t *to_desc;
    dnnl_primitive_desc_t desc = NULL;
    dnnl_primitive_t primitive = NULL;
    int failed = check(dnnl_memory_get_memory_desc(from, &from_desc), "memory_get_memory_desc") ||
                 check(dnnl_memory_get_memory_desc(to, &to_desc), "memory_get_memory_desc") ||
                 check(dnnl_reorder_primitive_desc_create(&desc, from_desc, conv->engine,
                                                          to_desc, conv->engine, NULL),
                       "reorder_primitive_desc_create") ||
                 check(dnnl_primitive_create(&primitive, desc), "primitive_create (reorder)");
    if (!failed) {
        const dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        failed = check(dnnl_primitive_execute(primitive, conv->stream, 2, args),
                       "primitive_execute (reorder)") ||
                 check(dnnl_stream_wait(conv->stream), "stream_wait");
    }
    dnnl_primitive_destroy(primitive);
    dnnl_primitive_desc_destroy(desc);
    return failed ? -1 : 0;
}

// Reorders between a plain-layout caller buffer and a oneDNN memory, in
// the direction given by to_caller.
static int reorder_plain(ConvRowsOnednn *conv, const dnnl_memory_desc_t *plain, void *data,
                         dnnl_memory_t memory, int to_caller)
{
    dnnl_memory_t wrapper = NULL;
    if (check(dnnl_memory_create(&wrapper, plain, conv->engine, data), "memory_create") != 0) {
        return -1;
    }
    const int status = to_caller ? reorder(conv, memory, wrapper) : reorder(conv, wrapper, memory);
    dnnl_memory_destroy(wrapper);
    return status;
}

static int create_memory(ConvRowsOnednn *conv, dnnl_memory_t *memory,
                         const_dnnl_primitive_desc_t desc, dnnl_query_t what)
{
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(desc, what, 0);
    return check(dnnl_memory_create(memory, chosen, conv->engine, DNNL_MEMORY_ALLOCATE),
                 "memory_create");
}

// Forward training (the mode the trainer uses), direct algorithm, with
// src in NCHW and format_tag_any for the weights and dst.
static int create_forward(ConvRowsOnednn *conv, const dnnl_dims_t strides,
                          const dnnl_dims_t padding)
{
    const dnnl_memory_desc_t src = plain_desc(conv->src_dims, 4, dnnl_nchw);
    const dnnl_memory_desc_t weights = plain_desc(conv->weights_dims, 4, dnnl_format_tag_any);
    const dnnl_memory_desc_t bias = plain_desc(conv->bias_dims, 1, dnnl_x);
    const dnnl_memory_desc_t dst = plain_desc(conv->dst_dims, 4, dnnl_format_tag_any);
    dnnl_convolution_desc_t op;
    return check(dnnl_convolution_forward_desc_init(&op, dnnl_forward_training,
                                                    dnnl_convolution_direct, &src, &weights,
                                                    &bias, &dst, strides, padding, padding),
                 "convolution_forward_desc_init") ||
           check(dnnl_primitive_desc_create(&conv->forward_desc, &op, NULL, conv->engine,
                                            NULL),
                 "primitive_desc_create (forward)") ||
           check(dnnl_primitive_create(&conv->forward, conv->forward_desc),
                 "primitive_create (forward)");
}

static int create_backward_weights(ConvRowsOnednn *conv, const dnnl_dims_t strides,
                                   const dnnl_dims_t padding)
{
    const dnnl_memory_desc_t src = plain_desc(conv->src_dims, 4, dnnl_nchw);
    const dnnl_memory_desc_t diff_weights =
        plain_desc(conv->weights_dims, 4, dnnl_format_tag_any);
    const dnnl_memory_desc_t diff_bias = plain_desc(conv->bias_dims, 1, dnnl_x);
    const dnnl_memory_desc_t diff_dst = plain_desc(conv->dst_dims, 4, dnnl_format_tag_any);
    dnnl_convolution_desc_t op;
    return check(dnnl_convolution_backward_weights_desc_init(
                     &op, dnnl_convolution_direct, &src, &diff_weights, &diff_bias,
                     &diff_dst, strides, padding, padding),
                 "convolution_backward_weights_desc_init") ||
           check(dnnl_primitive_desc_create(&conv->backward_desc, &op, NULL, conv->engine,
                                            conv->forward_desc),
                 "primitive_desc_create (backward weights)") ||
           check(dnnl_primitive_create(&conv->backward_weights, conv->backward_desc),
                 "primitive_create (backward weights)");
}

ConvRowsOnednn *conv_rows_onednn_create(int batch, float *in, const float *weight,
                                        float *bias, const float *dout)
{
    ConvRowsOnednn *conv = calloc(1, sizeof(*conv));
    if (conv == NULL) {
        fprintf(stderr, "conv_rows_probe: out of memory for the oneDNN convolution\n");
        return NULL;
    }
    const int64_t src_dims[] = {batch, CONV_ROWS_IN_CHANNELS, CONV_ROWS_SIZE, CONV_ROWS_SIZE};
    const int64_t weights_dims[] = {CONV_ROWS_OUT_CHANNELS, CONV_ROWS_IN_CHANNELS,
                                    CONV_ROWS_KERNEL, CONV_ROWS_KERNEL};
    const int64_t dst_dims[] = {batch, CONV_ROWS_OUT_CHANNELS, CONV_ROWS_SIZE,
                                CONV_ROWS_SIZE};
    memcpy(conv->src_dims, src_dims, sizeof src_dims);
    memcpy(conv->weights_dims, weights_dims, sizeof weights_dims);
    memcpy(conv->dst_dims, dst_dims, sizeof dst_dims);
    conv->bias_dims[0] = CONV_ROWS_OUT_CHANNELS;
    const dnnl_dims_t strides = {1, 1};
    const dnnl_dims_t padding = {CONV_ROWS_PADDING, CONV_ROWS_PADDING};

    const dnnl_memory_desc_t src = plain_desc(conv->src_dims, 4, dnnl_nchw);
    const dnnl_memory_desc_t plain_bias = plain_desc(conv->bias_dims, 1, dnnl_x);
    dnnl_memory_desc_t plain_weights = plain_desc(conv->weights_dims, 4, dnnl_oihw);
    dnnl_memory_desc_t plain_dst = plain_desc(conv->dst_dims, 4, dnnl_nchw);

    // The reorders copy into oneDNN's buffers without writing the caller's,
    // so casting away const is safe.
    const int failed =
        check(dnnl_engine_create(&conv->engine, dnnl_cpu, 0), "engine_create") ||
        check(dnnl_stream_create(&conv->stream, conv->engine, dnnl_stream_default_flags),
              "stream_create") ||
        create_forward(conv, strides, padding) ||
        create_backward_weights(conv, strides, padding) ||
        check(dnnl_memory_create(&conv->src, &src, conv->engine, in), "memory_create (src)") ||
        check(dnnl_memory_create(&conv->bias, &plain_bias, conv->engine, bias),
              "memory_create (bias)") ||
        check(dnnl_memory_create(&conv->diff_bias, &plain_bias, conv->engine,
                                 DNNL_MEMORY_ALLOCATE),
              "memory_create (diff_bias)") ||
        create_memory(conv, &conv->weights, conv->forward_desc, dnnl_query_weights_md) ||
        create_memory(conv, &conv->dst, conv->forward_desc, dnnl_query_dst_md) ||
        create_memory(conv, &conv->diff_dst, conv->backward_desc, dnnl_query_diff_dst_md) ||
        create_memory(conv, &conv->diff_weights, conv->backward_desc,
                      dnnl_query_diff_weights_md) ||
        reorder_plain(conv, &plain_weights, (void *)weight, conv->weights, 0) ||
        reorder_plain(conv, &plain_dst, (void *)dout, conv->diff_dst, 0);
    if (failed) {
        conv_rows_onednn_free(conv);
        return NULL;
    }
    return conv;
}

void conv_rows_onednn_free(ConvRowsOnednn *conv)
{
    if (conv == NULL) {
        return;
    }
    dnnl_memory_t memories[] = {conv->src, conv->weights, conv->bias, conv->dst,
                                conv->diff_dst, conv->diff_weights, conv->diff_bias};
    for (size_t i = 0; i < sizeof memories / sizeof memories[0]; i++) {
        dnnl_memory_destroy(memories[i]);
    }
    dnnl_primitive_destroy(conv->forward);
    dnnl_primitive_destroy(conv->backward_weights);
    dnnl_primitive_desc_destroy(conv->forward_desc);
    dnnl_primitive_desc_destroy(conv->backward_desc);
    dnnl_stream_destroy(conv->stream);
    dnnl_engine_destroy(conv->engine);
    free(conv);
}

void conv_rows_onednn_forward(ConvRowsOnednn *conv)
{
    const dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, conv->src},
        {DNNL_ARG_WEIGHTS, conv->weights},
        {DNNL_ARG_BIAS, conv->bias},
        {DNNL_ARG_DST, conv->dst},
    };
    dnnl_primitive_execute(conv->forward, conv->stream, 4, args);
    dnnl_stream_wait(conv->stream);
}

void conv_rows_onednn_backward_weights(ConvRowsOnednn *conv)
{
    const dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, conv->src},
        {DNNL_ARG_DIFF_DST, conv->diff_dst},
        {DNNL_ARG_DIFF_WEIGHTS, conv->diff_weights},
        {DNNL_ARG_DIFF_BIAS, conv->diff_bias},
    };
    dnnl_primitive_execute(conv->backward_weights, conv->stream, 4, args);
    dnnl_stream_wait(conv->stream);
}

int conv_rows_onednn_read_out(ConvRowsOnednn *conv, float *out)
{
    const dnnl_memory_desc_t plain_dst = plain_desc(conv->dst_dims, 4, dnnl_nchw);
    return reorder_plain(conv, &plain_dst, out, conv->dst, 1);
}

int conv_rows_onednn_read_gradients(ConvRowsOnednn *conv, float *dweight, float *dbias)
{
    const dnnl_memory_desc_t plain_weights = plain_desc(conv->weights_dims, 4, dnnl_oihw);
    const dnnl_memory_desc_t plain_bias = plain_desc(conv->bias_dims, 1, dnnl_x);
    return reorder_plain(conv, &plain_weights, dweight, conv->diff_weights, 1) ||
                   reorder_plain(conv, &plain_bias, dbias, conv->diff_bias, 1)
               ? -1
               : 0;
}

static const char *impl_name(const_dnnl_primitive_desc_t desc)
{
    const char *name = NULL;
    if (dnnl_primitive_desc_query(desc, dnnl_query_impl_info_str, 0, &name) != dnnl_success ||
        name == NULL) {
        return "(unknown)";
    }
    return name;
}

const char *conv_rows_onednn_forward_impl(const ConvRowsOnednn *conv)
{
    return impl_name(conv->forward_desc);
}

const char *conv_rows_onednn_backward_weights_impl(const ConvRowsOnednn *conv)
{
    return impl_name(conv->backward_desc);
}
