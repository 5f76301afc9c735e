#include "svhn/models.h"

#include <math.h>
#include <stdlib.h>

#define MAX_MODEL_LAYERS 12

// Appends a layer built for the previous layer's output shape. A NULL layer
// (invalid shape) is kept and reported by network_create.
typedef struct {
    Layer **layers;
    int count;
    Shape shape;
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

// Linear(in, out_features) followed by a ReLU, or alone when relu is 0.
static void append_linear(LayerList *list, int out_features, int relu, Backend backend)
{
    (void)backend;
    if (relu) {
        append(list, before_relu(linear_create(list->shape, out_features)));
        append(list, relu_create(list->shape));
    } else {
        append(list, linear_create(list->shape, out_features));
    }
}

// The convolutional part of LNet: Conv(c,6,5x5,pad 2) -> MaxPool 2 -> ReLU ->
// Conv(6,16,3x3,pad 1) -> MaxPool 2 -> ReLU.
static void append_lnet_features(LayerList *list, Backend backend)
{
    (void)backend;
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
                      .shape = input_shape};
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
