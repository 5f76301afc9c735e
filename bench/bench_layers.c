#include "bench_layers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_timing.h"
#include "svhn/float_buffer.h"
#include "svhn/loss.h"
#include "svhn/optimizer.h"
#include "svhn/rng.h"

#define CLASSES 10

// Everything one measurement needs; the `layer` and `din` fields select the
// layer and pass.
typedef struct {
    Network *network;
    const float *input;
    const uint8_t *labels;
    float *probs;
    float *dlogits;
    Optimizer *optimizer;
    int batch;
    int layer;
} BenchContext;

static const float *layer_input(const BenchContext *context, int index)
{
    return index == 0 ? context->input : context->network->outputs[index - 1];
}

static void run_layer_forward(void *opaque)
{
    BenchContext *context = opaque;
    Network *network = context->network;
    Layer *layer = network->layers[context->layer];
    layer->ops->forward(layer, network->outputs[context->layer],
                        layer_input(context, context->layer), context->batch);
}

// The first layer gets din == NULL, as in network_backward.
static void run_layer_backward(void *opaque)
{
    BenchContext *context = opaque;
    Network *network = context->network;
    const int index = context->layer;
    Layer *layer = network->layers[index];
    float *din = index == 0 ? NULL : network->doutputs[index - 1];
    layer->ops->backward(layer, din, network->doutputs[index], layer_input(context, index),
                         network->outputs[index], context->batch);
}

static const float *logits(const BenchContext *context)
{
    return context->network->outputs[context->network->layer_count - 1];
}

static void run_loss_forward(void *opaque)
{
    BenchContext *context = opaque;
    softmax_cross_entropy_forward(context->probs, logits(context), context->labels,
                                  context->batch, CLASSES);
}

static void run_loss_backward(void *opaque)
{
    BenchContext *context = opaque;
    softmax_cross_entropy_backward(context->dlogits, context->probs, context->labels,
                                   context->batch, CLASSES);
}

static void run_optimizer_step(void *opaque)
{
    BenchContext *context = opaque;
    optimizer_step(context->optimizer, context->network->params, context->network->grads);
}

// One training step as the trainer runs it: zero the gradients, forward,
// loss, backward, Adam.
static void run_training_step(void *opaque)
{
    BenchContext *context = opaque;
    Network *network = context->network;
    network_zero_grad(network);
    const float *out = network_forward(network, context->input, context->batch);
    softmax_cross_entropy_forward(context->probs, out, context->labels, context->batch,
                                  CLASSES);
    softmax_cross_entropy_backward(context->dlogits, context->probs, context->labels,
                                   context->batch, CLASSES);
    network_backward(network, context->input, context->dlogits, context->batch);
    optimizer_step(context->optimizer, network->params, network->grads);
}

static void print_row(FILE *stream, const BenchSettings *settings, const char **separator,
                      ModelKind kind, int index, const char *name, const char *pass,
                      double seconds, double flops)
{
    const double examples = settings->batch / seconds;
    const double gflops = flops > 0.0 ? flops / seconds * 1e-9 : 0.0;
    const double percent = 100.0 * gflops / settings->peak_gflops;
    if (settings->json) {
        fprintf(stream, "%s\n    {\"model\": \"%s\", \"index\": %d, \"layer\": \"%s\", "
                "\"pass\": \"%s\", \"seconds\": %.6e, \"examples_per_second\": %.1f, "
                "\"gflops\": %.2f, \"percent_of_peak\": %.1f}",
                *separator, model_kind_name(kind), index, name, pass, seconds, examples,
                gflops, percent);
        *separator = ",";
        return;
    }
    if (flops > 0.0) {
        fprintf(stream, "%-5s %3d %-40s %-9s %10.3f %12.0f %8.1f %6.1f%%\n",
                model_kind_name(kind), index, name, pass, seconds * 1e3, examples, gflops,
                percent);
    } else {
        fprintf(stream, "%-5s %3d %-40s %-9s %10.3f %12.0f %8s %7s\n", model_kind_name(kind),
                index, name, pass, seconds * 1e3, examples, "-", "-");
    }
}

// Fills a tensor with values in [-1, 1).
static void fill_random(float *values, size_t count, Rng *rng)
{
    for (size_t i = 0; i < count; i++) {
        values[i] = rng_uniform(rng) * 2.0f - 1.0f;
    }
}

// Times every layer and returns the useful floating-point operations of one
// training step: every forward plus every backward counted as below.
static double bench_each_layer(BenchContext *context, const BenchSettings *settings,
                               ModelKind kind, FILE *stream, const char **separator)
{
    double step_flops = 0.0;
    Network *network = context->network;
    char name[96];

    int parameters_before = 0;
    for (int i = 0; i < network->layer_count; i++) {
        Layer *layer = network->layers[i];
        layer->ops->describe(layer, name, sizeof name);
        context->layer = i;
        const double forward_flops = layer->ops->flops(layer) * settings->batch;
        // Useful work of a backward pass. A layer with parameters does one
        // product of the forward size for their gradient, and one more for
        // the input gradient when an earlier layer has parameters. The fast
        // backend skips the input gradient otherwise, but the reference
        // backend computes it, so its figure leaves that work out.
        double backward_flops = forward_flops;
        if (layer->param_count > 0 && parameters_before) {
            backward_flops = 2.0 * forward_flops;
        }
        parameters_before |= layer->param_count > 0;
        step_flops += forward_flops + backward_flops;

        const double forward = bench_median_seconds(run_layer_forward, context, settings->runs);
        print_row(stream, settings, separator, kind, i, name, "forward", forward,
                  forward_flops);
        const double backward =
            bench_median_seconds(run_layer_backward, context, settings->runs);
        print_row(stream, settings, separator, kind, i, name, "backward", backward,
                  backward_flops);
    }
    return step_flops;
}

int bench_model_layers(ModelKind kind, Backend backend, const BenchSettings *settings,
                       FILE *stream, const char **separator)
{
    const Shape input_shape = {3, 32, 32};
    const int batch = settings->batch;
    Error error = {0};
    Network *network = model_create(kind, input_shape, CLASSES, batch, backend, &error);
    if (network == NULL) {
        fprintf(stderr, "layer_bench: cannot build %s: %s\n", model_kind_name(kind), error.message);
        return -1;
    }

    Rng rng;
    rng_seed(&rng, 1);
    network_init_params(network, &rng);
    const size_t input_size = (size_t)batch * shape_size(input_shape);
    float *input = float_buffer_alloc(input_size);
    uint8_t *labels = malloc((size_t)batch);
    float *probs = malloc((size_t)batch * CLASSES * sizeof(float));
    float *dlogits = malloc((size_t)batch * CLASSES * sizeof(float));
    Optimizer optimizer;
    const OptimizerConfig config = optimizer_default_config(OPTIMIZER_ADAM);
    if (input == NULL || labels == NULL || probs == NULL || dlogits == NULL ||
        optimizer_init(&optimizer, &config, network->param_count, &error) != 0) {
        fprintf(stderr, "layer_bench: out of memory for the %s benchmark buffers\n",
                model_kind_name(kind));
        exit(EXIT_FAILURE);
    }
    fill_random(input, input_size, &rng);
    for (int n = 0; n < batch; n++) {
        labels[n] = (uint8_t)rng_below(&rng, CLASSES);
    }
    for (int i = 0; i < network->layer_count; i++) {
        fill_random(network->doutputs[i], (size_t)batch * shape_size(network->layers[i]->out_shape),
                    &rng);
    }

    BenchContext context = {.network = network, .input = input, .labels = labels,
                            .probs = probs, .dlogits = dlogits, .optimizer = &optimizer,
                            .batch = batch};
    network_forward(network, input, batch);

    const double step_flops = bench_each_layer(&context, settings, kind, stream, separator);

    const int last = network->layer_count;
    print_row(stream, settings, separator, kind, last, "softmax cross-entropy", "forward",
              bench_median_seconds(run_loss_forward, &context, settings->runs), 0.0);
    print_row(stream, settings, separator, kind, last, "softmax cross-entropy", "backward",
              bench_median_seconds(run_loss_backward, &context, settings->runs), 0.0);
    print_row(stream, settings, separator, kind, last + 1, "Adam step", "update",
              bench_median_seconds(run_optimizer_step, &context, settings->runs), 0.0);

    print_row(stream, settings, separator, kind, -1, "training step", "step",
              bench_median_seconds(run_training_step, &context, settings->runs), step_flops);

    optimizer_free(&optimizer);
    free(dlogits);
    free(probs);
    free(labels);
    free(input);
    network_free(network);
    return 0;
}
