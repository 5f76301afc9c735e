#include "svhn/layer.h"

#include <stdlib.h>

void layer_free(Layer *layer)
{
    if (layer == NULL) {
        return;
    }
    if (layer->ops != NULL && layer->ops->destroy != NULL) {
        layer->ops->destroy(layer);
    }
    free(layer);
}
