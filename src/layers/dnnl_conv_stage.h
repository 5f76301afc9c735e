// One stage of the oneDNN convolution stack (Conv2D -> MaxPool2D -> ReLU)
// for one batch size: its primitives, the tensors between them in oneDNN's
// layouts, and the reorders at the edges.

#ifndef SVHN_LAYERS_DNNL_CONV_STAGE_H
#define SVHN_LAYERS_DNNL_CONV_STAGE_H

#include "dnnl_util.h"
#include "svhn/dnnl_layers.h"

// Names of the passes, for conv_stage_describe_impls and error messages.
enum {
    PASS_CONV_FORWARD,
    PASS_POOL_FORWARD,
    PASS_RELU_BACKWARD,
    PASS_POOL_BACKWARD,
    PASS_CONV_BACKWARD_DATA,
    PASS_CONV_BACKWARD_WEIGHTS,
    PASS_COUNT,
};

typedef struct {
    ConvStageSpec spec;
    dnnl_primitive_desc_t descs[PASS_COUNT];  // NULL for passes the stage skips
    dnnl_primitive_t primitives[PASS_COUNT];

    // Forward. output is pool_dst with pooling, conv_dst without; it holds
    // the stage result in oneDNN's layout (output_desc).
    Conversion input_to_conv;
    Conversion weights_to_conv;
    dnnl_memory_t weights;        // wraps the weight Param (out, in, k, k)
    dnnl_memory_t bias;           // wraps the bias Param (out)
    dnnl_memory_t conv_dst;
    dnnl_memory_t pool_dst;
    dnnl_memory_t workspace;      // max pooling argmax positions
    dnnl_memory_t output;
    dnnl_memory_desc_t output_desc;

    // Backward. The caller writes the gradient at the stage output into
    // diff_output (layout output_desc) before conv_stage_backward.
    dnnl_memory_t diff_output;
    dnnl_memory_t diff_conv_dst;  // owned with pooling, else diff_output
    Conversion diff_dst_to_data;
    Conversion weights_to_data;
    Conversion input_to_weights;
    Conversion diff_dst_to_weights;
    dnnl_memory_t diff_src;       // NULL when diff_src_desc is the input layout
    dnnl_primitive_t diff_src_to_input;
    dnnl_memory_t diff_weights;
    dnnl_memory_t diff_bias;
    dnnl_primitive_t add_diff_weights;  // adds diff_weights into the Param grad
    dnnl_primitive_t add_diff_bias;
    dnnl_memory_t weights_grad;   // wraps the weight Param's grad
    dnnl_memory_t bias_grad;      // wraps the bias Param's grad
} ConvStage;

// Builds the stage for batch examples whose input has dims (batch, in_shape)
// and layout input_desc. Returns 0, or -1 with a message.
int conv_stage_init(ConvStage *stage, const ConvStageSpec *spec, Shape in_shape,
                    int batch, const dnnl_memory_desc_t *input_desc,
                    dnnl_engine_t engine, Error *error);
void conv_stage_free(ConvStage *stage);

// input: (batch, in_shape) in input_desc's layout. weight and bias are the
// Param values in the reference layout.
void conv_stage_forward(ConvStage *stage, dnnl_memory_t input, float *weight,
                        float *bias, dnnl_stream_t stream);

// Adds the weight and bias gradients into weight_grad and bias_grad, and
// overwrites diff_input (input_desc's layout) with the input gradient unless
// it is NULL. Uses the tensors of the last forward pass on the same input.
// Leaves diff_output modified (the ReLU mask is applied in place).
void conv_stage_backward(ConvStage *stage, dnnl_memory_t diff_input,
                         dnnl_memory_t input, float *weight, float *weight_grad,
                         float *bias_grad, dnnl_stream_t stream);

extern const char *const conv_stage_pass_names[PASS_COUNT];

#endif
