// ConvStack: a chain of Conv2D -> MaxPool2D -> ReLU stages on oneDNN
// primitives, exposed as one Layer with NCHW input and output. Between the
// stages the activations stay in oneDNN's layouts, so the only reorders at
// the boundary are the input (when the first convolution wants another
// layout), the output and its gradient.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_conv_stage.h"
#include "svhn/dnnl_layers.h"

// Primitives are kept for up to this many batch sizes: the training batch,
// the last partial training batch, the evaluation batch and its last one.
#define PLAN_CACHE_SIZE 4

typedef struct {
    int batch;
    ConvStage stages[CONV_STACK_MAX_STAGES];
    dnnl_memory_t input;        // wraps the caller's in (batch, C, H, W)
    dnnl_memory_t diff_input;   // wraps the caller's din
    dnnl_memory_t output;       // wraps the caller's out
    dnnl_memory_t diff_output;  // wraps the caller's dout
    dnnl_primitive_t export_output;       // last stage output -> NCHW out
    dnnl_primitive_t import_diff_output;  // NCHW dout -> last stage diff_output
} StackPlan;

typedef struct {
    Layer base;
    ConvStageSpec stages[CONV_STACK_MAX_STAGES];
    Shape stage_in_shapes[CONV_STACK_MAX_STAGES];
    int stage_count;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    StackPlan *plans[PLAN_CACHE_SIZE];  // plans[0] is for max_batch
    int next_replaced;                  // round robin over plans[1..]
} ConvStack;

static dnnl_memory_desc_t nchw_desc(int batch, Shape shape)
{
    dnnl_dims_t dims = {batch, shape.channels, shape.height, shape.width};
    dnnl_memory_desc_t desc;
    dnnl_memory_desc_init_by_tag(&desc, 4, dims, dnnl_f32, dnnl_nchw);
    return desc;
}

static void plan_free(StackPlan *plan)
{
    if (plan == NULL) {
        return;
    }
    for (int s = 0; s < CONV_STACK_MAX_STAGES; s++) {
        conv_stage_free(&plan->stages[s]);
    }
    dnnl_memory_destroy(plan->input);
    dnnl_memory_destroy(plan->diff_input);
    dnnl_memory_destroy(plan->output);
    dnnl_memory_destroy(plan->diff_output);
    dnnl_primitive_destroy(plan->export_output);
    dnnl_primitive_destroy(plan->import_diff_output);
    free(plan);
}

static StackPlan *plan_create(const ConvStack *stack, int batch, Error *error)
{
    StackPlan *plan = calloc(1, sizeof(*plan));
    if (plan == NULL) {
        error_set(error, "out of memory for the oneDNN plan of batch %d", batch);
        return NULL;
    }
    plan->batch = batch;

    dnnl_memory_desc_t input_desc = nchw_desc(batch, stack->base.in_shape);
    dnnl_memory_desc_t output_desc = nchw_desc(batch, stack->base.out_shape);
    const dnnl_memory_desc_t *stage_input = &input_desc;
    for (int s = 0; s < stack->stage_count; s++) {
        if (conv_stage_init(&plan->stages[s], &stack->stages[s], stack->stage_in_shapes[s],
                            batch, stage_input, stack->engine, error) != 0) {
            plan_free(plan);
            return NULL;
        }
        stage_input = &plan->stages[s].output_desc;
    }

    plan->input = dnnl_wrapper_create(&input_desc, stack->engine, error);
    plan->diff_input = dnnl_wrapper_create(&input_desc, stack->engine, error);
    plan->output = dnnl_wrapper_create(&output_desc, stack->engine, error);
    plan->diff_output = dnnl_wrapper_create(&output_desc, stack->engine, error);
    plan->export_output = dnnl_reorder_create(stage_input, &output_desc, stack->engine, 0,
                                              error);
    plan->import_diff_output = dnnl_reorder_create(&output_desc, stage_input,
                                                   stack->engine, 0, error);
    if (plan->input == NULL || plan->diff_input == NULL || plan->output == NULL ||
        plan->diff_output == NULL || plan->export_output == NULL ||
        plan->import_diff_output == NULL) {
        plan_free(plan);
        return NULL;
    }
    return plan;
}

// Returns the plan for batch, creating it on first use. Returns NULL with a
// message when oneDNN fails to create it.
static StackPlan *plan_for_batch(ConvStack *stack, int batch, Error *error)
{
    for (int i = 0; i < PLAN_CACHE_SIZE; i++) {
        if (stack->plans[i] != NULL && stack->plans[i]->batch == batch) {
            return stack->plans[i];
        }
    }
    StackPlan *plan = plan_create(stack, batch, error);
    if (plan == NULL) {
        return NULL;
    }
    int slot = 1 + stack->next_replaced;
    stack->next_replaced = (stack->next_replaced + 1) % (PLAN_CACHE_SIZE - 1);
    plan_free(stack->plans[slot]);
    stack->plans[slot] = plan;
    return plan;
}

// The layer interface has no error channel, so a failure to build the
// primitives for a new batch size (out of memory) ends the program.
static StackPlan *plan_for_batch_or_abort(ConvStack *stack, int batch)
{
    Error error = {{0}};
    StackPlan *plan = plan_for_batch(stack, batch, &error);
    if (plan == NULL) {
        fprintf(stderr, "oneDNN convolution stack: cannot create the primitives for "
                "batch %d: %s\n", batch, error.message);
        abort();
    }
    return plan;
}

static void conv_stack_forward(Layer *layer, float *out, const float *in, int batch)
{
    ConvStack *stack = (ConvStack *)layer;
    StackPlan *plan = plan_for_batch_or_abort(stack, batch);

    // oneDNN reads but never writes a source tensor, so dropping const is safe.
    dnnl_memory_set_data_handle(plan->input, (void *)in);
    dnnl_memory_t input = plan->input;
    for (int s = 0; s < stack->stage_count; s++) {
        ConvStage *stage = &plan->stages[s];
        conv_stage_forward(stage, input, layer->params[2 * s].value,
                           layer->params[2 * s + 1].value, stack->stream);
        input = stage->output;
    }

    dnnl_memory_set_data_handle(plan->output, out);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, input}, {DNNL_ARG_TO, plan->output}};
    dnnl_run(plan->export_output, stack->stream, 2, args);
}

static void conv_stack_backward(Layer *layer, float *din, const float *dout,
                                const float *in, const float *out, int batch)
{
    (void)out;  // the stages keep their own outputs in oneDNN's layouts
    ConvStack *stack = (ConvStack *)layer;
    StackPlan *plan = plan_for_batch_or_abort(stack, batch);
    const int last = stack->stage_count - 1;

    dnnl_memory_set_data_handle(plan->diff_output, (void *)dout);
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_FROM, plan->diff_output},
        {DNNL_ARG_TO, plan->stages[last].diff_output},
    };
    dnnl_run(plan->import_diff_output, stack->stream, 2, args);

    dnnl_memory_set_data_handle(plan->input, (void *)in);
    dnnl_memory_set_data_handle(plan->diff_input, din);
    for (int s = last; s >= 0; s--) {
        dnnl_memory_t input = s == 0 ? plan->input : plan->stages[s - 1].output;
        dnnl_memory_t diff_input = s > 0 ? plan->stages[s - 1].diff_output
                                 : din != NULL ? plan->diff_input : NULL;
        conv_stage_backward(&plan->stages[s], diff_input, input,
                            layer->params[2 * s].value, layer->params[2 * s].grad,
                            layer->params[2 * s + 1].grad, stack->stream);
    }
}

// Lists each stage as the reference layers Conv2D, MaxPool2D and ReLU, with
// FLOPs counted as those layers count them (ReLU after pooling), although
// the fused ReLU runs on the convolution output.
static int conv_stack_parts(const Layer *layer, LayerPart *parts, int max_parts)
{
    const ConvStack *stack = (const ConvStack *)layer;
    int count = 0;

    for (int s = 0; s < stack->stage_count; s++) {
        const ConvStageSpec *spec = &stack->stages[s];
        Shape in = stack->stage_in_shapes[s];
        Shape conv_out = {spec->out_channels,
                          (in.height + 2 * spec->padding - spec->kernel_size) / spec->stride + 1,
                          (in.width + 2 * spec->padding - spec->kernel_size) / spec->stride + 1};
        Shape stage_out = s + 1 < stack->stage_count ? stack->stage_in_shapes[s + 1]
                                                     : layer->out_shape;
        size_t weights = (size_t)spec->out_channels * in.channels * spec->kernel_size *
                         spec->kernel_size;

        if (count < max_parts) {
            LayerPart *part = &parts[count];
            snprintf(part->description, sizeof part->description,
                     "Conv2D %d->%d %dx%d stride %d pad %d", in.channels, spec->out_channels,
                     spec->kernel_size, spec->kernel_size, spec->stride, spec->padding);
            part->out_shape = conv_out;
            part->param_count = weights + spec->out_channels;
            part->flops = 2.0 * (double)weights * conv_out.height * conv_out.width;
        }
        count++;
        if (spec->pool_size > 0) {
            if (count < max_parts) {
                LayerPart *part = &parts[count];
                snprintf(part->description, sizeof part->description,
                         "MaxPool2D %dx%d stride %d", spec->pool_size, spec->pool_size,
                         spec->pool_stride);
                part->out_shape = stage_out;
                part->param_count = 0;
                part->flops = (double)shape_size(stage_out) * spec->pool_size * spec->pool_size;
            }
            count++;
        }
        if (spec->relu) {
            if (count < max_parts) {
                LayerPart *part = &parts[count];
                snprintf(part->description, sizeof part->description, "ReLU");
                part->out_shape = stage_out;
                part->param_count = 0;
                part->flops = (double)shape_size(stage_out);
            }
            count++;
        }
    }
    return count;
}

static double conv_stack_flops(const Layer *layer)
{
    LayerPart parts[3 * CONV_STACK_MAX_STAGES];
    int count = conv_stack_parts(layer, parts, 3 * CONV_STACK_MAX_STAGES);
    double flops = 0.0;

    for (int i = 0; i < count; i++) {
        flops += parts[i].flops;
    }
    return flops;
}

static void conv_stack_describe(const Layer *layer, char *text, size_t text_size)
{
    const ConvStack *stack = (const ConvStack *)layer;
    snprintf(text, text_size, "ConvStack (oneDNN, %d stages)", stack->stage_count);
}

static void conv_stack_destroy(Layer *layer)
{
    ConvStack *stack = (ConvStack *)layer;
    for (int i = 0; i < PLAN_CACHE_SIZE; i++) {
        plan_free(stack->plans[i]);
        stack->plans[i] = NULL;
    }
    dnnl_stream_destroy(stack->stream);
    dnnl_engine_destroy(stack->engine);
}

static const LayerOps conv_stack_ops = {
    .kind = "ConvStack",
    .forward = conv_stack_forward,
    .backward = conv_stack_backward,
    .flops = conv_stack_flops,
    .describe = conv_stack_describe,
    .parts = conv_stack_parts,
    .destroy = conv_stack_destroy,
};

// Checks the stage parameters the way conv2d_create and maxpool2d_create
// do and stores each stage's input shape. Returns the output shape, or an
// invalid (zero) shape with a message.
static Shape plan_shapes(ConvStack *stack, Shape in_shape, Error *error)
{
    Shape shape = in_shape;
    for (int s = 0; s < stack->stage_count; s++) {
        const ConvStageSpec *spec = &stack->stages[s];
        stack->stage_in_shapes[s] = shape;

        if (!shape_is_valid(shape) || spec->out_channels <= 0 || spec->kernel_size <= 0 ||
            spec->stride <= 0 || spec->padding < 0 ||
            shape.height + 2 * spec->padding < spec->kernel_size ||
            shape.width + 2 * spec->padding < spec->kernel_size) {
            error_set(error, "stage %d: invalid convolution for input %dx%dx%d", s,
                      shape.channels, shape.height, shape.width);
            return (Shape){0, 0, 0};
        }
        shape = (Shape){spec->out_channels,
                        (shape.height + 2 * spec->padding - spec->kernel_size) / spec->stride + 1,
                        (shape.width + 2 * spec->padding - spec->kernel_size) / spec->stride + 1};

        if (spec->pool_size > 0) {
            if (spec->pool_stride <= 0 || shape.height < spec->pool_size ||
                shape.width < spec->pool_size) {
                error_set(error, "stage %d: invalid max pooling for input %dx%dx%d", s,
                          shape.channels, shape.height, shape.width);
                return (Shape){0, 0, 0};
            }
            shape.height = (shape.height - spec->pool_size) / spec->pool_stride + 1;
            shape.width = (shape.width - spec->pool_size) / spec->pool_stride + 1;
        }
    }
    return shape;
}

static void set_params(ConvStack *stack)
{
    Layer *layer = &stack->base;
    for (int s = 0; s < stack->stage_count; s++) {
        const ConvStageSpec *spec = &stack->stages[s];
        int fan_in = stack->stage_in_shapes[s].channels * spec->kernel_size * spec->kernel_size;
        layer->params[2 * s] = (Param){.name = "weight",
                                       .size = (size_t)spec->out_channels * fan_in,
                                       .fan_in = fan_in};
        layer->params[2 * s + 1] = (Param){.name = "bias", .size = (size_t)spec->out_channels};
    }
    layer->param_count = 2 * stack->stage_count;
}

Layer *conv_stack_create(Shape in_shape, const ConvStageSpec *stages,
                         int stage_count, int max_batch, Error *error)
{
    if (stage_count <= 0 || stage_count > CONV_STACK_MAX_STAGES || max_batch <= 0) {
        error_set(error, "a convolution stack takes 1..%d stages and a positive batch "
                  "(got %d stages, batch %d)", CONV_STACK_MAX_STAGES, stage_count, max_batch);
        return NULL;
    }
    ConvStack *stack = calloc(1, sizeof(*stack));
    if (stack == NULL) {
        error_set(error, "out of memory for the convolution stack");
        return NULL;
    }
    memcpy(stack->stages, stages, (size_t)stage_count * sizeof(*stages));
    stack->stage_count = stage_count;

    Layer *layer = &stack->base;
    layer->ops = &conv_stack_ops;
    layer->in_shape = in_shape;
    layer->out_shape = plan_shapes(stack, in_shape, error);
    layer->init_gain = 1.0f;
    set_params(stack);
    if (!shape_is_valid(layer->out_shape)) {
        free(stack);
        return NULL;
    }

    if (dnnl_engine_create(&stack->engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&stack->stream, stack->engine, dnnl_stream_default_flags) !=
            dnnl_success) {
        error_set(error, "cannot create the oneDNN CPU engine or stream");
        layer_free(layer);
        return NULL;
    }
    stack->plans[0] = plan_create(stack, max_batch, error);
    if (stack->plans[0] == NULL) {
        layer_free(layer);
        return NULL;
    }
    return layer;
}

int conv_stack_describe_impls(Layer *layer, int batch, char *text, size_t text_size)
{
    ConvStack *stack = (ConvStack *)layer;
    StackPlan *plan = plan_for_batch(stack, batch, NULL);
    if (plan == NULL) {
        return -1;
    }

    int reference_count = 0;
    size_t used = 0;
    if (text_size > 0) {
        text[0] = '\0';
    }
    for (int s = 0; s < stack->stage_count; s++) {
        for (int pass = 0; pass < PASS_COUNT; pass++) {
            const_dnnl_primitive_desc_t desc = plan->stages[s].descs[pass];
            if (desc == NULL) {
                continue;
            }
            if (dnnl_impl_rank(desc) == 0) {
                reference_count++;
            }
            if (used < text_size) {
                int written = snprintf(text + used, text_size - used, "stage %d %s: %s\n", s,
                                       conv_stage_pass_names[pass], dnnl_impl_name(desc));
                used += written > 0 ? (size_t)written : 0;
            }
        }
    }
    return reference_count;
}
