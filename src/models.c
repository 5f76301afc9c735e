#include "svhn/models.h"

#include <math.h>
#include <stdlib.h>

#include "svhn/dnnl_layers.h"
#include "svhn/layers_fast.h"

#define MAX_MODEL_LAYERS 12

// Appends a layer built for the previous layer's output shape. A NULL layer
// (invalid shape) is kept and reported by network_create.
typedef struct {
    Layer **layers;
    int count;
    Shape shape;
    int max_batch;  // for layers that prepare per-batch work at creation
} LayerList;

static void append(LayerList *list, Layer *layer)
{
    list->layers[list->count++] = layer;
    if (layer != NULL) {
        list->shape = layer->out_shape;
    }
}

// He initialisation for a layer whose output goes through a ReLU, possibly
// after a max pooling (the two commute, so the variance argument holds).
static Layer *before_relu(Layer *layer)
{
    if (layer != NULL) {
        layer->init_gain = sqrtf(2.0f);
    }
    return layer;
}

// Returns whether any layer in the list has parameters.
static int has_parameters(const LayerList *list)
{
    for (int i = 0; i < list->count; i++) {
        if (list->layers[i] != NULL && list->layers[i]->param_count > 0) {
            return 1;
        }
    }
    return 0;
}

// Linear(in, out_features) followed by a ReLU, or alone when relu is 0.
// The fast backend does not fuse the ReLU into the Linear forward pass: that
// would save one pass over the activations (well under 1% of the step) but
// make the Linear layer's output differ from the reference's. It does skip
// the input gradient of a Linear that only parameter-free layers precede
// (MLP's first, after Flatten): that product is a third of the layer's work
// and reaches no parameter.
static void append_linear(LayerList *list, int out_features, int relu, Backend backend)
{
    const int options = has_parameters(list) ? 0 : LINEAR_FAST_NO_INPUT_GRADIENT;
    Layer *linear = backend == BACKEND_FAST
                        ? linear_fast_create(list->shape, out_features, options)
                        : linear_create(list->shape, out_features);
    if (!relu) {
        append(list, linear);
        return;
    }
    append(list, before_relu(linear));
    append(list, backend == BACKEND_FAST ? relu_fast_create(list->shape)
                                         : relu_create(list->shape));
}

// The convolutional part of LNet: Conv(c,6,5x5,pad 2) -> MaxPool 2 -> ReLU ->
// Conv(6,16,3x3,pad 1) -> MaxPool 2 -> ReLU.
static void append_lnet_features(LayerList *list, Backend backend)
{
    if (backend == BACKEND_FAST) {
        // One oneDNN layer for all six, with the same parameters in the same
        // order as the reference layers below.
        const ConvStageSpec stages[2] = {
            {.out_channels = 6, .kernel_size = 5, .stride = 1, .padding = 2,
             .pool_size = 2, .pool_stride = 2, .relu = 1},
            {.out_channels = 16, .kernel_size = 3, .stride = 1, .padding = 1,
             .pool_size = 2, .pool_stride = 2, .relu = 1},
        };
        append(list, before_relu(conv_stack_create(list->shape, stages, 2,
                                                   list->max_batch, NULL)));
        return;
    }
    append(list, before_relu(conv2d_create(list->shape, 6, 5, 1, 2)));
    append(list, maxpool2d_create(list->shape, 2, 2));
    append(list, relu_create(list->shape));
    append(list, before_relu(conv2d_create(list->shape, 16, 3, 1, 1)));
    append(list, maxpool2d_create(list->shape, 2, 2));
    append(list, relu_create(list->shape));
}

static void build_mlp(LayerList *list, int classes, Backend backend)
{
    append(list, flatten_create(list->shape));
    append_linear(list, 1024, 1, backend);
    append_linear(list, classes, 0, backend);
}

static void build_lnet(LayerList *list, int classes, Backend backend)
{
    append_lnet_features(list, backend);
    append(list, flatten_create(list->shape));
    append_linear(list, 256, 1, backend);
    append_linear(list, classes, 0, backend);
}

Network *model_create(ModelKind kind, Shape input_shape, int classes,
                      int max_batch, Backend backend, Error *error)
{
    LayerList list = {.layers = calloc(MAX_MODEL_LAYERS, sizeof(Layer *)),
                      .shape = input_shape,
                      .max_batch = max_batch};
    if (list.layers == NULL) {
        error_set(error, "out of memory for the model's layer list");
        return NULL;
    }

    if (kind == MODEL_MLP) {
        build_mlp(&list, classes, backend);
    } else {
        build_lnet(&list, classes, backend);
    }
    return network_create(list.layers, list.count, input_shape, max_batch, error);
}

const char *model_kind_name(ModelKind kind)
{
    return kind == MODEL_MLP ? "mlp" : "lnet";
}

const char *backend_name(Backend backend)
{
    return backend == BACKEND_REFERENCE ? "ref" : "fast";
}
