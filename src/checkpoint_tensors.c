#include <math.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint_format.h"

size_t tensor_type_size(TensorType type)
{
    switch (type) {
    case TENSOR_F32:
    case TENSOR_I32:
        return 4;
    case TENSOR_F64:
    case TENSOR_I64:
    case TENSOR_U64:
        return 8;
    case TENSOR_TEXT:
        return 1;
    }
    return 0;
}

const char *tensor_type_name(TensorType type)
{
    switch (type) {
    case TENSOR_F32: return "f32";
    case TENSOR_F64: return "f64";
    case TENSOR_I32: return "i32";
    case TENSOR_I64: return "i64";
    case TENSOR_U64: return "u64";
    case TENSOR_TEXT: return "text";
    }
    return "unknown";
}

uint64_t tensor_element_count(const CheckpointTensor *tensor)
{
    uint64_t count = 1;
    for (int i = 0; i < tensor->rank; i++) {
        count *= tensor->dims[i];
    }
    return count;
}

void tensor_format_shape(const CheckpointTensor *tensor, char *text, size_t text_size)
{
    size_t used = (size_t)snprintf(text, text_size, "(");
    for (int i = 0; i < tensor->rank && used < text_size; i++) {
        used += (size_t)snprintf(text + used, text_size - used, "%s%llu", i > 0 ? ", " : "",
                                 (unsigned long long)tensor->dims[i]);
    }
    if (used < text_size) {
        snprintf(text + used, text_size - used, ")");
    }
}

// Fills the tensors of one layer's parameters. Convolution kernels are
// square, so k follows from fan_in = in_channels * k * k.
static void describe_layer(const Layer *layer, int number, CheckpointTensor *tensors)
{
    const int is_conv = strcmp(layer->ops->kind, "Conv2D") == 0;
    for (int p = 0; p < layer->param_count; p++) {
        const Param *param = &layer->params[p];
        CheckpointTensor *tensor = &tensors[p];
        *tensor = (CheckpointTensor){.type = TENSOR_F32};
        snprintf(tensor->name, sizeof tensor->name, "%s%d.%s", is_conv ? "conv" : "linear",
                 number, param->name);

        if (param->fan_in == 0) {
            tensor->rank = 1;
            tensor->dims[0] = param->size;
        } else if (is_conv) {
            const int in_channels = layer->in_shape.channels;
            const int k = (int)lround(sqrt((double)param->fan_in / in_channels));
            tensor->rank = 4;
            tensor->dims[0] = param->size / (size_t)param->fan_in;
            tensor->dims[1] = (uint64_t)in_channels;
            tensor->dims[2] = (uint64_t)k;
            tensor->dims[3] = (uint64_t)k;
        } else {
            tensor->rank = 2;
            tensor->dims[0] = param->size / (size_t)param->fan_in;
            tensor->dims[1] = (uint64_t)param->fan_in;
        }
    }
}

int checkpoint_describe_params(ModelKind model, Shape input_shape, int classes,
                               CheckpointTensor *tensors, int max_tensors, int *count,
                               Error *error)
{
    // The reference backend has one layer per convolution, so its layers name
    // the tensors; the fast backend has the same flat layout.
    Network *network = model_create(model, input_shape, classes, 1, BACKEND_REFERENCE, error);
    if (network == NULL) {
        return -1;
    }

    int conv_number = 0;
    int linear_number = 0;
    *count = 0;
    for (int i = 0; i < network->layer_count; i++) {
        const Layer *layer = network->layers[i];
        if (layer->param_count == 0) {
            continue;
        }
        if (*count + layer->param_count > max_tensors) {
            error_set(error, "model %s has more than %d parameter tensors",
                      model_kind_name(model), max_tensors);
            network_free(network);
            return -1;
        }
        const int is_conv = strcmp(layer->ops->kind, "Conv2D") == 0;
        int number = is_conv ? ++conv_number : ++linear_number;
        describe_layer(layer, number, tensors + *count);
        *count += layer->param_count;
    }
    network_free(network);
    return 0;
}
