// Forward and backward passes of one oneDNN convolution stage; the
// primitives are created in dnnl_conv_stage_setup.c.

#include "dnnl_conv_stage.h"

static void run2(dnnl_primitive_t primitive, dnnl_stream_t stream, int from_arg,
                 dnnl_memory_t from, int to_arg, dnnl_memory_t to)
{
    dnnl_exec_arg_t args[] = {{from_arg, from}, {to_arg, to}};
    dnnl_run(primitive, stream, 2, args);
}

void conv_stage_forward(ConvStage *stage, dnnl_memory_t input, float *weight,
                        float *bias, dnnl_stream_t stream)
{
    dnnl_memory_set_data_handle(stage->weights, weight);
    dnnl_memory_set_data_handle(stage->bias, bias);

    // The Param buffer holds (out, in, k, k); the kernel may want a blocked
    // weight layout. The reorder runs every step because the optimizer
    // changes the weights in place (a few thousand floats).
    dnnl_memory_t src = conversion_run(&stage->input_to_conv, input, stream);
    dnnl_memory_t conv_weights = conversion_run(&stage->weights_to_conv, stage->weights,
                                                stream);
    dnnl_exec_arg_t conv_args[] = {
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_WEIGHTS, conv_weights},
        {DNNL_ARG_BIAS, stage->bias},
        {DNNL_ARG_DST, stage->conv_dst},
    };
    dnnl_run(stage->primitives[PASS_CONV_FORWARD], stream, 4, conv_args);

    if (stage->spec.pool_size > 0) {
        dnnl_exec_arg_t pool_args[] = {
            {DNNL_ARG_SRC, stage->conv_dst},
            {DNNL_ARG_DST, stage->pool_dst},
            {DNNL_ARG_WORKSPACE, stage->workspace},
        };
        dnnl_run(stage->primitives[PASS_POOL_FORWARD], stream, 3, pool_args);
    }
}

static void backward_weights(ConvStage *stage, dnnl_memory_t input, float *weight_grad,
                             float *bias_grad, dnnl_stream_t stream)
{
    dnnl_memory_t src = conversion_run(&stage->input_to_weights, input, stream);
    dnnl_memory_t diff_dst = conversion_run(&stage->diff_dst_to_weights,
                                            stage->diff_conv_dst, stream);
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_DIFF_DST, diff_dst},
        {DNNL_ARG_DIFF_WEIGHTS, stage->diff_weights},
        {DNNL_ARG_DIFF_BIAS, stage->diff_bias},
    };
    dnnl_run(stage->primitives[PASS_CONV_BACKWARD_WEIGHTS], stream, 4, args);

    dnnl_memory_set_data_handle(stage->weights_grad, weight_grad);
    dnnl_memory_set_data_handle(stage->bias_grad, bias_grad);
    run2(stage->add_diff_weights, stream, DNNL_ARG_FROM, stage->diff_weights,
         DNNL_ARG_TO, stage->weights_grad);
    run2(stage->add_diff_bias, stream, DNNL_ARG_FROM, stage->diff_bias,
         DNNL_ARG_TO, stage->bias_grad);
}

static void backward_data(ConvStage *stage, dnnl_memory_t diff_input, float *weight,
                          dnnl_stream_t stream)
{
    dnnl_memory_set_data_handle(stage->weights, weight);
    dnnl_memory_t diff_dst = conversion_run(&stage->diff_dst_to_data,
                                            stage->diff_conv_dst, stream);
    dnnl_memory_t weights = conversion_run(&stage->weights_to_data, stage->weights, stream);
    dnnl_memory_t diff_src = stage->diff_src != NULL ? stage->diff_src : diff_input;
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_DIFF_DST, diff_dst},
        {DNNL_ARG_WEIGHTS, weights},
        {DNNL_ARG_DIFF_SRC, diff_src},
    };
    dnnl_run(stage->primitives[PASS_CONV_BACKWARD_DATA], stream, 3, args);

    if (stage->diff_src != NULL) {
        run2(stage->diff_src_to_input, stream, DNNL_ARG_FROM, stage->diff_src,
             DNNL_ARG_TO, diff_input);
    }
}

void conv_stage_backward(ConvStage *stage, dnnl_memory_t diff_input,
                         dnnl_memory_t input, float *weight, float *weight_grad,
                         float *bias_grad, dnnl_stream_t stream)
{
    if (stage->spec.relu) {
        // In place: diff_output becomes the gradient before the ReLU.
        dnnl_exec_arg_t args[] = {
            {DNNL_ARG_DST, stage->output},
            {DNNL_ARG_DIFF_DST, stage->diff_output},
            {DNNL_ARG_DIFF_SRC, stage->diff_output},
        };
        dnnl_run(stage->primitives[PASS_RELU_BACKWARD], stream, 3, args);
    }
    if (stage->spec.pool_size > 0) {
        dnnl_exec_arg_t args[] = {
            {DNNL_ARG_DIFF_DST, stage->diff_output},
            {DNNL_ARG_DIFF_SRC, stage->diff_conv_dst},
            {DNNL_ARG_WORKSPACE, stage->workspace},
        };
        dnnl_run(stage->primitives[PASS_POOL_BACKWARD], stream, 3, args);
    }

    backward_weights(stage, input, weight_grad, bias_grad, stream);
    if (diff_input != NULL) {
        backward_data(stage, diff_input, weight, stream);
    }
}
