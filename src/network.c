#include "svhn/network.h"

#include "svhn/float_buffer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int shapes_equal(Shape a, Shape b)
{
    return a.channels == b.channels && a.height == b.height && a.width == b.width;
}

static void free_layers(Layer **layers, int layer_count)
{
    if (layers == NULL) {
        return;
    }
    for (int i = 0; i < layer_count; i++) {
        layer_free(layers[i]);
    }
    free(layers);
}

// Points every Param of every layer into the shared buffers, in layer order.
static void assign_param_views(Network *network)
{
    size_t offset = 0;
    for (int i = 0; i < network->layer_count; i++) {
        Layer *layer = network->layers[i];
        for (int p = 0; p < layer->param_count; p++) {
            layer->params[p].value = network->params + offset;
            layer->params[p].grad = network->grads + offset;
            offset += layer->params[p].size;
        }
    }
}

static int check_layer_shapes(Layer **layers, int layer_count, Shape input_shape,
                              Error *error)
{
    Shape expected = input_shape;
    for (int i = 0; i < layer_count; i++) {
        if (layers[i] == NULL) {
            error_set(error, "layer %d could not be created for input shape %dx%dx%d "
                      "(invalid size, or out of memory)",
                      i, expected.channels, expected.height, expected.width);
            return -1;
        }
        Shape got = layers[i]->in_shape;
        if (!shapes_equal(got, expected)) {
            error_set(error, "layer %d (%s) expects input %dx%dx%d but the previous "
                      "layer outputs %dx%dx%d", i, layers[i]->ops->kind,
                      got.channels, got.height, got.width,
                      expected.channels, expected.height, expected.width);
            return -1;
        }
        expected = layers[i]->out_shape;
    }
    return 0;
}

Network *network_create(Layer **layers, int layer_count, Shape input_shape,
                        int max_batch, Error *error)
{
    if (layer_count <= 0 || max_batch <= 0) {
        error_set(error, "a network needs at least one layer and a positive batch size "
                  "(got %d layers, batch %d)", layer_count, max_batch);
        free_layers(layers, layer_count);
        return NULL;
    }
    if (check_layer_shapes(layers, layer_count, input_shape, error) != 0) {
        free_layers(layers, layer_count);
        return NULL;
    }

    Network *network = calloc(1, sizeof(*network));
    if (network == NULL) {
        error_set(error, "out of memory for the network");
        free_layers(layers, layer_count);
        return NULL;
    }
    network->layers = layers;
    network->layer_count = layer_count;
    network->input_shape = input_shape;
    network->max_batch = max_batch;

    for (int i = 0; i < layer_count; i++) {
        for (int p = 0; p < layers[i]->param_count; p++) {
            network->param_count += layers[i]->params[p].size;
        }
    }
    network->params = float_buffer_alloc_zeroed(network->param_count + 1);
    network->grads = float_buffer_alloc_zeroed(network->param_count + 1);
    network->outputs = calloc(layer_count, sizeof(float *));
    network->doutputs = calloc(layer_count, sizeof(float *));
    int failed = network->params == NULL || network->grads == NULL ||
                 network->outputs == NULL || network->doutputs == NULL;

    for (int i = 0; i < layer_count && !failed; i++) {
        size_t floats = (size_t)max_batch * shape_size(layers[i]->out_shape);
        network->outputs[i] = float_buffer_alloc(floats);
        network->doutputs[i] = float_buffer_alloc(floats);
        failed = network->outputs[i] == NULL || network->doutputs[i] == NULL;
    }
    if (failed) {
        error_set(error, "out of memory for the network buffers (batch %d)", max_batch);
        network_free(network);
        return NULL;
    }

    assign_param_views(network);
    return network;
}

void network_free(Network *network)
{
    if (network == NULL) {
        return;
    }
    for (int i = 0; i < network->layer_count; i++) {
        if (network->outputs != NULL) {
            free(network->outputs[i]);
        }
        if (network->doutputs != NULL) {
            free(network->doutputs[i]);
        }
    }
    free(network->outputs);
    free(network->doutputs);
    free(network->params);
    free(network->grads);
    free_layers(network->layers, network->layer_count);
    free(network);
}

void network_init_params(Network *network, Rng *rng)
{
    for (int i = 0; i < network->layer_count; i++) {
        Layer *layer = network->layers[i];
        for (int p = 0; p < layer->param_count; p++) {
            Param *param = &layer->params[p];
            if (param->fan_in == 0) {
                memset(param->value, 0, param->size * sizeof(float));
                continue;
            }
            float std = layer->init_gain / sqrtf((float)param->fan_in);
            for (size_t j = 0; j < param->size; j++) {
                param->value[j] = std * rng_normal(rng);
            }
        }
    }
}

const float *network_forward(Network *network, const float *input, int batch)
{
    const float *in = input;
    for (int i = 0; i < network->layer_count; i++) {
        Layer *layer = network->layers[i];
        layer->ops->forward(layer, network->outputs[i], in, batch);
        in = network->outputs[i];
    }
    return in;
}

void network_backward(Network *network, const float *input,
                      const float *dlogits, int batch)
{
    const int last = network->layer_count - 1;
    const float *dout = dlogits;

    for (int i = last; i >= 0; i--) {
        Layer *layer = network->layers[i];
        const float *in = i == 0 ? input : network->outputs[i - 1];
        // No caller needs the gradient of the network input, so the first layer
        // skips that product.
        float *din = i == 0 ? NULL : network->doutputs[i - 1];

        layer->ops->backward(layer, din, dout, in, network->outputs[i], batch);
        dout = din;
    }
}

void network_zero_grad(Network *network)
{
    memset(network->grads, 0, network->param_count * sizeof(float));
}

Shape network_output_shape(const Network *network)
{
    return network->layers[network->layer_count - 1]->out_shape;
}

static void print_summary_row(FILE *stream, const char *index, const char *description,
                              Shape out, size_t params, double flops)
{
    char shape_text[32];
    snprintf(shape_text, sizeof shape_text, "%dx%dx%d", out.channels, out.height, out.width);
    fprintf(stream, "%-3s %-34s %-14s %10zu %14.0f\n", index, description, shape_text,
            params, flops);
}

void network_print_summary(const Network *network, FILE *stream)
{
    double total_flops = 0.0;
    char description[sizeof(((LayerPart *)0)->description) + 2];
    char index[16];
    Shape in = network->input_shape;

    fprintf(stream, "%-3s %-34s %-14s %10s %14s\n", "#", "layer", "output",
            "params", "FLOPs/example");
    fprintf(stream, "%-3s %-34s %dx%dx%d\n", "", "input", in.channels, in.height, in.width);

    for (int i = 0; i < network->layer_count; i++) {
        const Layer *layer = network->layers[i];
        size_t params = 0;
        for (int p = 0; p < layer->param_count; p++) {
            params += layer->params[p].size;
        }
        double flops = layer->ops->flops(layer);
        total_flops += flops;

        layer->ops->describe(layer, description, sizeof description);
        snprintf(index, sizeof index, "%d", i);
        print_summary_row(stream, index, description, layer->out_shape, params, flops);

        // A composite layer also lists the model's layers it computes.
        if (layer->ops->parts != NULL) {
            LayerPart parts[16];
            int count = layer->ops->parts(layer, parts, 16);
            for (int p = 0; p < count && p < 16; p++) {
                char indented[sizeof description];
                snprintf(indented, sizeof indented, "  %.*s", (int)sizeof indented - 3,
                         parts[p].description);
                print_summary_row(stream, "", indented, parts[p].out_shape,
                                  parts[p].param_count, parts[p].flops);
            }
        }
    }
    fprintf(stream, "%-3s %-34s %-14s %10zu %14.0f\n", "", "total", "",
            network->param_count, total_flops);
}
