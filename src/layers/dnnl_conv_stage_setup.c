// Creation of a convolution stage's oneDNN primitives and tensors.
//
// Layouts: every convolution pass is created twice, with format_tag_any and
// with NHWC activations. The implementation with the better dnnl_impl_rank
// wins, and the first candidate wins a tie. On oneDNN 2.6 and
// AVX-512 this picks NHWC for the 6->16 3x3 backward-weights pass, which
// gets an AVX2 kernel with blocked layouts. Tensors are reordered only where
// a pass expects a layout other than the one its producer wrote.

#include "dnnl_conv_stage.h"

#include <string.h>

const char *const conv_stage_pass_names[PASS_COUNT] = {
    "conv forward",      "pool forward",         "relu backward",
    "pool backward",     "conv backward data",   "conv backward weights",
};

enum { ACTIVATION_LAYOUT_COUNT = 2 };
static const dnnl_format_tag_t activation_layouts[ACTIVATION_LAYOUT_COUNT] = {
    dnnl_format_tag_any, dnnl_nhwc};

typedef struct {
    dnnl_dims_t src;      // (batch, in channels, height, width)
    dnnl_dims_t weights;  // (out channels, in channels, k, k)
    dnnl_dims_t bias;     // (out channels)
    dnnl_dims_t dst;      // (batch, out channels, conv out height, width)
    dnnl_dims_t pooled;   // (batch, out channels, pool out height, width)
    dnnl_dims_t strides, padding;
    dnnl_dims_t pool_kernel, pool_strides, no_padding;
} StageDims;

static StageDims stage_dims(const ConvStageSpec *spec, Shape in, int batch)
{
    const int conv_h = (in.height + 2 * spec->padding - spec->kernel_size) / spec->stride + 1;
    const int conv_w = (in.width + 2 * spec->padding - spec->kernel_size) / spec->stride + 1;
    StageDims d = {
        .src = {batch, in.channels, in.height, in.width},
        .weights = {spec->out_channels, in.channels, spec->kernel_size, spec->kernel_size},
        .bias = {spec->out_channels},
        .dst = {batch, spec->out_channels, conv_h, conv_w},
        .strides = {spec->stride, spec->stride},
        .padding = {spec->padding, spec->padding},
        .pool_kernel = {spec->pool_size, spec->pool_size},
        .pool_strides = {spec->pool_stride, spec->pool_stride},
        .no_padding = {0, 0},
    };
    if (spec->pool_size > 0) {
        d.pooled[0] = batch;
        d.pooled[1] = spec->out_channels;
        d.pooled[2] = (conv_h - spec->pool_size) / spec->pool_stride + 1;
        d.pooled[3] = (conv_w - spec->pool_size) / spec->pool_stride + 1;
    }
    return d;
}

static dnnl_memory_desc_t make_desc(const dnnl_dims_t dims, int ndims,
                                    dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t desc;
    dnnl_memory_desc_init_by_tag(&desc, ndims, dims, dnnl_f32, tag);
    return desc;
}

static dnnl_memory_desc_t query_desc(const_dnnl_primitive_desc_t pd, dnnl_query_t what,
                                     int index)
{
    return *dnnl_primitive_desc_query_md(pd, what, index);
}

// Keeps candidate when it ranks higher than *best, else destroys it.
static void keep_better(dnnl_primitive_desc_t *best, dnnl_primitive_desc_t candidate)
{
    if (candidate == NULL) {
        return;
    }
    if (*best == NULL || dnnl_impl_rank(candidate) > dnnl_impl_rank(*best)) {
        dnnl_primitive_desc_destroy(*best);
        *best = candidate;
    } else {
        dnnl_primitive_desc_destroy(candidate);
    }
}

// Conv forward (training) with the ReLU as a post-op when the stage has one.
// With pooling this computes pool(relu(conv)) instead of relu(pool(conv)),
// the same function: ReLU is monotone non-decreasing, so the maximum of the
// rectified values is the rectified maximum. The gradients match too,
// because max pooling sends the gradient to the window's largest value, and
// where that value is not positive the ReLU mask zeroes the gradient either way.
static dnnl_primitive_desc_t create_conv_forward(const ConvStageSpec *spec,
                                                 const StageDims *d,
                                                 dnnl_engine_t engine, Error *error)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t best = NULL;

    DNNL_TRY(dnnl_primitive_attr_create(&attr), error);
    if (spec->relu) {
        DNNL_TRY(dnnl_post_ops_create(&post_ops), error);
        DNNL_TRY(dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f),
                 error);
        DNNL_TRY(dnnl_primitive_attr_set_post_ops(attr, post_ops), error);
    }

    for (int i = 0; i < ACTIVATION_LAYOUT_COUNT; i++) {
        dnnl_memory_desc_t src = make_desc(d->src, 4, activation_layouts[i]);
        dnnl_memory_desc_t weights = make_desc(d->weights, 4, dnnl_format_tag_any);
        dnnl_memory_desc_t bias = make_desc(d->bias, 1, dnnl_x);
        dnnl_memory_desc_t dst = make_desc(d->dst, 4, activation_layouts[i]);
        dnnl_convolution_desc_t op;
        dnnl_primitive_desc_t candidate = NULL;

        DNNL_TRY(dnnl_convolution_forward_desc_init(&op, dnnl_forward_training,
                                                    dnnl_convolution_direct, &src, &weights,
                                                    &bias, &dst, d->strides, d->padding,
                                                    d->padding), error);
        if (dnnl_primitive_desc_create(&candidate, &op, attr, engine, NULL) == dnnl_success) {
            keep_better(&best, candidate);
        }
    }
    if (best == NULL) {
        error_set(error, "oneDNN has no convolution forward for this shape");
    }

fail:
    dnnl_post_ops_destroy(post_ops);
    dnnl_primitive_attr_destroy(attr);
    return best;
}

static dnnl_primitive_desc_t create_conv_backward_data(const StageDims *d,
                                                       const_dnnl_primitive_desc_t forward,
                                                       dnnl_engine_t engine, Error *error)
{
    dnnl_primitive_desc_t best = NULL;

    for (int i = 0; i < ACTIVATION_LAYOUT_COUNT; i++) {
        dnnl_memory_desc_t diff_src = make_desc(d->src, 4, activation_layouts[i]);
        dnnl_memory_desc_t weights = make_desc(d->weights, 4, dnnl_format_tag_any);
        dnnl_memory_desc_t diff_dst = make_desc(d->dst, 4, activation_layouts[i]);
        dnnl_convolution_desc_t op;
        dnnl_primitive_desc_t candidate = NULL;

        DNNL_TRY(dnnl_convolution_backward_data_desc_init(&op, dnnl_convolution_direct,
                                                          &diff_src, &weights, &diff_dst,
                                                          d->strides, d->padding,
                                                          d->padding), error);
        if (dnnl_primitive_desc_create(&candidate, &op, NULL, engine, forward) ==
            dnnl_success) {
            keep_better(&best, candidate);
        }
    }
    if (best == NULL) {
        error_set(error, "oneDNN has no convolution backward-data for this shape");
    }
fail:
    return best;
}

static dnnl_primitive_desc_t create_conv_backward_weights(const StageDims *d,
                                                          const_dnnl_primitive_desc_t forward,
                                                          dnnl_engine_t engine, Error *error)
{
    dnnl_primitive_desc_t best = NULL;

    for (int i = 0; i < ACTIVATION_LAYOUT_COUNT; i++) {
        dnnl_memory_desc_t src = make_desc(d->src, 4, activation_layouts[i]);
        dnnl_memory_desc_t diff_weights = make_desc(d->weights, 4, dnnl_format_tag_any);
        dnnl_memory_desc_t diff_bias = make_desc(d->bias, 1, dnnl_x);
        dnnl_memory_desc_t diff_dst = make_desc(d->dst, 4, activation_layouts[i]);
        dnnl_convolution_desc_t op;
        dnnl_primitive_desc_t candidate = NULL;

        DNNL_TRY(dnnl_convolution_backward_weights_desc_init(
                     &op, dnnl_convolution_direct, &src, &diff_weights, &diff_bias,
                     &diff_dst, d->strides, d->padding, d->padding), error);
        if (dnnl_primitive_desc_create(&candidate, &op, NULL, engine, forward) ==
            dnnl_success) {
            keep_better(&best, candidate);
        }
    }
    if (best == NULL) {
        error_set(error, "oneDNN has no convolution backward-weights for this shape");
    }
fail:
    return best;
}

// Max pooling forward (training, so it keeps a workspace) and backward, both
// in the layout the convolution wrote.
static int create_pool(ConvStage *stage, const StageDims *d, dnnl_engine_t engine,
                       Error *error)
{
    dnnl_memory_desc_t conv_dst = query_desc(stage->descs[PASS_CONV_FORWARD],
                                             dnnl_query_dst_md, 0);
    dnnl_memory_desc_t pooled_any = make_desc(d->pooled, 4, dnnl_format_tag_any);
    dnnl_pooling_desc_t op;

    DNNL_TRY(dnnl_pooling_forward_desc_init(&op, dnnl_forward_training, dnnl_pooling_max,
                                            &conv_dst, &pooled_any, d->pool_strides,
                                            d->pool_kernel, d->no_padding, d->no_padding),
             error);
    DNNL_TRY(dnnl_primitive_desc_create(&stage->descs[PASS_POOL_FORWARD], &op, NULL,
                                        engine, NULL), error);

    dnnl_memory_desc_t pooled = query_desc(stage->descs[PASS_POOL_FORWARD],
                                           dnnl_query_dst_md, 0);
    DNNL_TRY(dnnl_pooling_backward_desc_init(&op, dnnl_pooling_max, &conv_dst, &pooled,
                                             d->pool_strides, d->pool_kernel,
                                             d->no_padding, d->no_padding), error);
    DNNL_TRY(dnnl_primitive_desc_create(&stage->descs[PASS_POOL_BACKWARD], &op, NULL,
                                        engine, stage->descs[PASS_POOL_FORWARD]), error);
    return 0;
fail:
    return -1;
}

// ReLU backward from the stage output y = relu(...): dx = y > 0 ? dy : 0,
// which is the same mask as x > 0. With pooling it runs on the pooled
// tensor, a quarter of the convolution output for 2x2 windows.
static int create_relu_backward(ConvStage *stage, dnnl_engine_t engine, Error *error)
{
    dnnl_eltwise_desc_t op;
    dnnl_primitive_desc_t forward_hint = NULL;
    int status = -1;

    DNNL_TRY(dnnl_eltwise_forward_desc_init(&op, dnnl_forward_training,
                                            dnnl_eltwise_relu_use_dst_for_bwd,
                                            &stage->output_desc, 0.0f, 0.0f), error);
    DNNL_TRY(dnnl_primitive_desc_create(&forward_hint, &op, NULL, engine, NULL), error);
    DNNL_TRY(dnnl_eltwise_backward_desc_init(&op, dnnl_eltwise_relu_use_dst_for_bwd,
                                             &stage->output_desc, &stage->output_desc,
                                             0.0f, 0.0f), error);
    DNNL_TRY(dnnl_primitive_desc_create(&stage->descs[PASS_RELU_BACKWARD], &op, NULL,
                                        engine, forward_hint), error);
    status = 0;
fail:
    dnnl_primitive_desc_destroy(forward_hint);
    return status;
}

static int create_descs(ConvStage *stage, const StageDims *d, dnnl_engine_t engine,
                        Error *error)
{
    const ConvStageSpec *spec = &stage->spec;

    stage->descs[PASS_CONV_FORWARD] = create_conv_forward(spec, d, engine, error);
    if (stage->descs[PASS_CONV_FORWARD] == NULL) {
        return -1;
    }
    if (spec->pool_size > 0 && create_pool(stage, d, engine, error) != 0) {
        return -1;
    }
    stage->output_desc = spec->pool_size > 0
        ? query_desc(stage->descs[PASS_POOL_FORWARD], dnnl_query_dst_md, 0)
        : query_desc(stage->descs[PASS_CONV_FORWARD], dnnl_query_dst_md, 0);
    if (spec->relu && create_relu_backward(stage, engine, error) != 0) {
        return -1;
    }

    stage->descs[PASS_CONV_BACKWARD_DATA] =
        create_conv_backward_data(d, stage->descs[PASS_CONV_FORWARD], engine, error);
    stage->descs[PASS_CONV_BACKWARD_WEIGHTS] =
        create_conv_backward_weights(d, stage->descs[PASS_CONV_FORWARD], engine, error);
    if (stage->descs[PASS_CONV_BACKWARD_DATA] == NULL ||
        stage->descs[PASS_CONV_BACKWARD_WEIGHTS] == NULL) {
        return -1;
    }

    for (int pass = 0; pass < PASS_COUNT; pass++) {
        if (stage->descs[pass] != NULL) {
            DNNL_TRY(dnnl_primitive_create(&stage->primitives[pass], stage->descs[pass]),
                     error);
        }
    }
    return 0;
fail:
    return -1;
}

static int create_forward_tensors(ConvStage *stage, const StageDims *d,
                                  const dnnl_memory_desc_t *input_desc,
                                  dnnl_engine_t engine, Error *error)
{
    const_dnnl_primitive_desc_t conv = stage->descs[PASS_CONV_FORWARD];
    dnnl_memory_desc_t weights_plain = make_desc(d->weights, 4, dnnl_oihw);
    dnnl_memory_desc_t bias_plain = make_desc(d->bias, 1, dnnl_x);
    dnnl_memory_desc_t conv_src = query_desc(conv, dnnl_query_src_md, 0);
    dnnl_memory_desc_t conv_weights = query_desc(conv, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t conv_dst = query_desc(conv, dnnl_query_dst_md, 0);

    if (conversion_init(&stage->input_to_conv, input_desc, &conv_src, engine, error) != 0 ||
        conversion_init(&stage->weights_to_conv, &weights_plain, &conv_weights, engine,
                        error) != 0) {
        return -1;
    }
    stage->weights = dnnl_wrapper_create(&weights_plain, engine, error);
    stage->bias = dnnl_wrapper_create(&bias_plain, engine, error);
    stage->conv_dst = dnnl_tensor_create(&conv_dst, engine, error);
    if (stage->weights == NULL || stage->bias == NULL || stage->conv_dst == NULL) {
        return -1;
    }
    stage->output = stage->conv_dst;

    if (stage->spec.pool_size > 0) {
        const_dnnl_primitive_desc_t pool = stage->descs[PASS_POOL_FORWARD];
        dnnl_memory_desc_t workspace = query_desc(pool, dnnl_query_workspace_md, 0);
        stage->pool_dst = dnnl_tensor_create(&stage->output_desc, engine, error);
        stage->workspace = dnnl_tensor_create(&workspace, engine, error);
        if (stage->pool_dst == NULL || stage->workspace == NULL) {
            return -1;
        }
        stage->output = stage->pool_dst;
    }
    return 0;
}

static int create_backward_tensors(ConvStage *stage, const StageDims *d,
                                   const dnnl_memory_desc_t *input_desc,
                                   dnnl_engine_t engine, Error *error)
{
    const_dnnl_primitive_desc_t data = stage->descs[PASS_CONV_BACKWARD_DATA];
    const_dnnl_primitive_desc_t weights = stage->descs[PASS_CONV_BACKWARD_WEIGHTS];
    dnnl_memory_desc_t conv_dst = query_desc(stage->descs[PASS_CONV_FORWARD],
                                             dnnl_query_dst_md, 0);
    dnnl_memory_desc_t weights_plain = make_desc(d->weights, 4, dnnl_oihw);
    dnnl_memory_desc_t bias_plain = make_desc(d->bias, 1, dnnl_x);
    dnnl_memory_desc_t data_diff_dst = query_desc(data, dnnl_query_diff_dst_md, 0);
    dnnl_memory_desc_t data_weights = query_desc(data, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t data_diff_src = query_desc(data, dnnl_query_diff_src_md, 0);
    dnnl_memory_desc_t weights_src = query_desc(weights, dnnl_query_src_md, 0);
    dnnl_memory_desc_t weights_diff_dst = query_desc(weights, dnnl_query_diff_dst_md, 0);
    dnnl_memory_desc_t diff_weights = query_desc(weights, dnnl_query_diff_weights_md, 0);
    dnnl_memory_desc_t diff_bias = query_desc(weights, dnnl_query_diff_weights_md, 1);

    stage->diff_output = dnnl_tensor_create(&stage->output_desc, engine, error);
    if (stage->diff_output == NULL) {
        return -1;
    }
    stage->diff_conv_dst = stage->diff_output;
    if (stage->spec.pool_size > 0) {
        stage->diff_conv_dst = dnnl_tensor_create(&conv_dst, engine, error);
        if (stage->diff_conv_dst == NULL) {
            return -1;
        }
    }

    if (conversion_init(&stage->diff_dst_to_data, &conv_dst, &data_diff_dst, engine,
                        error) != 0 ||
        conversion_init(&stage->weights_to_data, &weights_plain, &data_weights, engine,
                        error) != 0 ||
        conversion_init(&stage->input_to_weights, input_desc, &weights_src, engine,
                        error) != 0 ||
        conversion_init(&stage->diff_dst_to_weights, &conv_dst, &weights_diff_dst, engine,
                        error) != 0) {
        return -1;
    }
    if (!dnnl_same_layout(&data_diff_src, input_desc)) {
        stage->diff_src = dnnl_tensor_create(&data_diff_src, engine, error);
        stage->diff_src_to_input = dnnl_reorder_create(&data_diff_src, input_desc, engine,
                                                       0, error);
        if (stage->diff_src == NULL || stage->diff_src_to_input == NULL) {
            return -1;
        }
    }

    // oneDNN overwrites diff_weights and diff_bias; reorders with a sum
    // post-op then add them to the Param gradients, which accumulate.
    stage->diff_weights = dnnl_tensor_create(&diff_weights, engine, error);
    stage->diff_bias = dnnl_tensor_create(&diff_bias, engine, error);
    stage->add_diff_weights = dnnl_reorder_create(&diff_weights, &weights_plain, engine, 1,
                                                  error);
    stage->add_diff_bias = dnnl_reorder_create(&diff_bias, &bias_plain, engine, 1, error);
    stage->weights_grad = dnnl_wrapper_create(&weights_plain, engine, error);
    stage->bias_grad = dnnl_wrapper_create(&bias_plain, engine, error);
    if (stage->diff_weights == NULL || stage->diff_bias == NULL ||
        stage->add_diff_weights == NULL || stage->add_diff_bias == NULL ||
        stage->weights_grad == NULL || stage->bias_grad == NULL) {
        return -1;
    }
    return 0;
}

int conv_stage_init(ConvStage *stage, const ConvStageSpec *spec, Shape in_shape,
                    int batch, const dnnl_memory_desc_t *input_desc,
                    dnnl_engine_t engine, Error *error)
{
    memset(stage, 0, sizeof(*stage));
    stage->spec = *spec;
    StageDims dims = stage_dims(spec, in_shape, batch);

    if (create_descs(stage, &dims, engine, error) != 0 ||
        create_forward_tensors(stage, &dims, input_desc, engine, error) != 0 ||
        create_backward_tensors(stage, &dims, input_desc, engine, error) != 0) {
        conv_stage_free(stage);
        return -1;
    }
    return 0;
}

void conv_stage_free(ConvStage *stage)
{
    for (int pass = 0; pass < PASS_COUNT; pass++) {
        dnnl_primitive_destroy(stage->primitives[pass]);
        dnnl_primitive_desc_destroy(stage->descs[pass]);
    }
    conversion_free(&stage->input_to_conv);
    conversion_free(&stage->weights_to_conv);
    conversion_free(&stage->diff_dst_to_data);
    conversion_free(&stage->weights_to_data);
    conversion_free(&stage->input_to_weights);
    conversion_free(&stage->diff_dst_to_weights);
    if (stage->diff_conv_dst != stage->diff_output) {
        dnnl_memory_destroy(stage->diff_conv_dst);
    }
    dnnl_memory_t owned[] = {
        stage->weights, stage->bias, stage->conv_dst, stage->pool_dst, stage->workspace,
        stage->diff_output, stage->diff_src, stage->diff_weights, stage->diff_bias,
        stage->weights_grad, stage->bias_grad,
    };
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        dnnl_memory_destroy(owned[i]);
    }
    dnnl_primitive_destroy(stage->diff_src_to_input);
    dnnl_primitive_destroy(stage->add_diff_weights);
    dnnl_primitive_destroy(stage->add_diff_bias);
    memset(stage, 0, sizeof(*stage));
}
