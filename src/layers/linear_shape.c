#include "linear_shape.h"

int linear_shape_is_valid(Shape in_shape, int out_features)
{
    return shape_is_valid(in_shape) && out_features > 0 && in_shape.height == 1 &&
           in_shape.width == 1;
}

void linear_layer_init(Layer *layer, const LayerOps *ops, Shape in_shape, int out_features)
{
    int in_features = in_shape.channels;

    layer->ops = ops;
    layer->in_shape = in_shape;
    layer->out_shape = (Shape){out_features, 1, 1};
    layer->params[0] = (Param){.name = "weight",
                               .size = (size_t)out_features * in_features,
                               .fan_in = in_features};
    layer->params[1] = (Param){.name = "bias", .size = (size_t)out_features};
    layer->param_count = 2;
    layer->init_gain = 1.0f;
}
