// Uses a loaded checkpoint: checks it against a request, fills a network
// and an optimizer, and frees it.

#include <stdlib.h>

#include "svhn/checkpoint.h"

int checkpoint_check_model(const Checkpoint *checkpoint, const char *path,
                           ModelKind model, Shape input_shape, Error *error)
{
    if (checkpoint->model != model) {
        error_set(error, "%s: the checkpoint holds model %s but %s was requested", path,
                  model_kind_name(checkpoint->model), model_kind_name(model));
        return -1;
    }
    const Shape s = checkpoint->input_shape;
    if (s.channels != input_shape.channels || s.height != input_shape.height ||
        s.width != input_shape.width) {
        error_set(error, "%s: the checkpoint's input shape is %dx%dx%d but the data is "
                  "%dx%dx%d", path, s.channels, s.height, s.width, input_shape.channels,
                  input_shape.height, input_shape.width);
        return -1;
    }
    return 0;
}

int checkpoint_copy_params(const Checkpoint *checkpoint, const char *path,
                           Network *network, Error *error)
{
    if (network->param_count != checkpoint->param_count) {
        error_set(error, "%s: the checkpoint has %zu parameters but the network has %zu",
                  path, checkpoint->param_count, network->param_count);
        return -1;
    }
    for (size_t i = 0; i < network->param_count; i++) {
        network->params[i] = checkpoint->params[i];
    }
    return 0;
}

void checkpoint_take_optimizer(Checkpoint *checkpoint, Optimizer *optimizer)
{
    *optimizer = checkpoint->optimizer;
    checkpoint->optimizer = (Optimizer){0};
}

Network *checkpoint_create_network(const Checkpoint *checkpoint, const char *path,
                                   int max_batch, Backend backend, Error *error)
{
    Network *network = model_create(checkpoint->model, checkpoint->input_shape,
                                    checkpoint->classes, max_batch, backend, error);
    if (network == NULL) {
        return NULL;
    }
    if (checkpoint_copy_params(checkpoint, path, network, error) != 0) {
        network_free(network);
        return NULL;
    }
    return network;
}

void checkpoint_free(Checkpoint *checkpoint)
{
    free(checkpoint->params);
    optimizer_free(&checkpoint->optimizer);
    free(checkpoint->progress.order);
    free(checkpoint->progress.history);
    *checkpoint = (Checkpoint){0};
}
