// Forward (and for MaxPool2D backward) values computed by hand, and the
// shapes the layer constructors reject.

#include <gtest/gtest.h>

#include <vector>

#include "svhn/layer.h"

namespace {

// Points the layer's parameters at the given buffers, as network_create
// does with the network's buffers.
void attach_params(Layer *layer, std::vector<float> &weight, std::vector<float> &bias,
                   std::vector<float> &weight_grad, std::vector<float> &bias_grad)
{
    ASSERT_EQ(layer->param_count, 2);
    ASSERT_EQ(layer->params[0].size, weight.size());
    ASSERT_EQ(layer->params[1].size, bias.size());
    weight_grad.assign(weight.size(), 0.0f);
    bias_grad.assign(bias.size(), 0.0f);
    layer->params[0].value = weight.data();
    layer->params[0].grad = weight_grad.data();
    layer->params[1].value = bias.data();
    layer->params[1].grad = bias_grad.data();
}

TEST(Conv2DForward, Pad1Stride2HandValues)
{
    Layer *conv = conv2d_create({1, 4, 4}, 1, 3, 2, 1);
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->out_shape.channels, 1);
    EXPECT_EQ(conv->out_shape.height, 2);  // (4 + 2 - 3) / 2 + 1
    EXPECT_EQ(conv->out_shape.width, 2);

    // x[i][j] = 4i + j + 1 and w[kh][kw] = 3kh + kw + 1.
    std::vector<float> input(16);
    for (int i = 0; i < 16; i++) {
        input[i] = static_cast<float>(i + 1);
    }
    std::vector<float> weight = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::vector<float> bias = {0.5f};
    std::vector<float> weight_grad, bias_grad;
    attach_params(conv, weight, bias, weight_grad, bias_grad);

    std::vector<float> out(4);
    conv->ops->forward(conv, out.data(), input.data(), 1);

    // Output (oh, ow) reads input rows 2oh - 1 .. 2oh + 1 and columns
    // 2ow - 1 .. 2ow + 1, where row and column -1 are padding.
    // (0,0): 1*5 + 2*6 + 5*8 + 6*9                          = 111
    // (0,1): 2*4 + 3*5 + 4*6 + 6*7 + 7*8 + 8*9              = 217
    // (1,0): 5*2 + 6*3 + 9*5 + 10*6 + 13*8 + 14*9           = 363
    // (1,1): 6*1 + 7*2 + 8*3 + 10*4 + 11*5 + 12*6
    //        + 14*7 + 15*8 + 16*9                           = 573
    EXPECT_FLOAT_EQ(out[0], 111.5f);
    EXPECT_FLOAT_EQ(out[1], 217.5f);
    EXPECT_FLOAT_EQ(out[2], 363.5f);
    EXPECT_FLOAT_EQ(out[3], 573.5f);
    layer_free(conv);
}

TEST(Conv2DForward, SumsInputChannels)
{
    // 1x1 kernel over 2 input channels: out[oc] = w[oc][0] x0 + w[oc][1] x1 + b[oc].
    Layer *conv = conv2d_create({2, 1, 2}, 2, 1, 1, 0);
    ASSERT_NE(conv, nullptr);
    std::vector<float> input = {1, 2, 10, 20};  // channel 0: 1 2, channel 1: 10 20
    std::vector<float> weight = {1, 1, 2, -1};  // oc 0: (1, 1), oc 1: (2, -1)
    std::vector<float> bias = {0, 3};
    std::vector<float> weight_grad, bias_grad;
    attach_params(conv, weight, bias, weight_grad, bias_grad);

    std::vector<float> out(4);
    conv->ops->forward(conv, out.data(), input.data(), 1);
    EXPECT_FLOAT_EQ(out[0], 11.0f);  // 1 + 10
    EXPECT_FLOAT_EQ(out[1], 22.0f);  // 2 + 20
    EXPECT_FLOAT_EQ(out[2], -5.0f);  // 2 - 10 + 3
    EXPECT_FLOAT_EQ(out[3], -13.0f); // 4 - 20 + 3
    layer_free(conv);
}

TEST(MaxPool2DForward, Kernel2Stride2WithTies)
{
    Layer *pool = maxpool2d_create({1, 4, 4}, 2, 2);
    ASSERT_NE(pool, nullptr);
    ASSERT_EQ(pool->out_shape.height, 2);
    ASSERT_EQ(pool->out_shape.width, 2);

    // Window (0,0) has 3 at offsets 1 and 4, window (0,1) has 5 at offsets 6
    // and 7, window (1,1) is all 1. The first maximum in row-major order
    // wins, so the gradient goes to offsets 1, 6 and 10.
    const std::vector<float> input = {
        1, 3, 2, 0,
        3, 2, 5, 5,
        0, 4, 1, 1,
        -1, 2, 1, 1,
    };
    std::vector<float> out(4);
    pool->ops->forward(pool, out.data(), input.data(), 1);
    EXPECT_EQ(out, (std::vector<float>{3, 5, 4, 1}));

    const std::vector<float> dout = {10, 20, 30, 40};
    std::vector<float> din(16, -7.0f);
    pool->ops->backward(pool, din.data(), dout.data(), input.data(), out.data(), 1);
    std::vector<float> expected(16, 0.0f);
    expected[1] = 10;
    expected[6] = 20;
    expected[9] = 30;
    expected[10] = 40;
    EXPECT_EQ(din, expected);
    layer_free(pool);
}

TEST(MaxPool2DForward, Kernel3Stride2Overlapping)
{
    Layer *pool = maxpool2d_create({1, 5, 5}, 3, 2);
    ASSERT_NE(pool, nullptr);
    ASSERT_EQ(pool->out_shape.height, 2);  // (5 - 3) / 2 + 1
    ASSERT_EQ(pool->out_shape.width, 2);

    // x = 5i + j, except x(2,2) = x(2,4) = 20. Windows start at rows and
    // columns 0 and 2, so (2,2) lies in all four. Its 20 is the maximum of
    // window (0,0) and, tied with (2,4) but first in row-major order, of
    // window (0,1). Windows (1,0) and (1,1) have 22 at (4,2) and 24 at (4,4).
    std::vector<float> input(25);
    for (int i = 0; i < 25; i++) {
        input[i] = static_cast<float>(i);
    }
    input[2 * 5 + 2] = 20;
    input[2 * 5 + 4] = 20;

    std::vector<float> out(4);
    pool->ops->forward(pool, out.data(), input.data(), 1);
    EXPECT_EQ(out, (std::vector<float>{20, 20, 22, 24}));

    // The overlapping windows add their gradients at (2,2).
    const std::vector<float> dout = {1, 2, 3, 4};
    std::vector<float> din(25, -7.0f);
    pool->ops->backward(pool, din.data(), dout.data(), input.data(), out.data(), 1);
    std::vector<float> expected(25, 0.0f);
    expected[2 * 5 + 2] = 1 + 2;
    expected[4 * 5 + 2] = 3;
    expected[4 * 5 + 4] = 4;
    EXPECT_EQ(din, expected);
    layer_free(pool);
}

TEST(MaxPool2DForward, BatchAndChannelsPoolSeparately)
{
    Layer *pool = maxpool2d_create({2, 2, 2}, 2, 2);
    ASSERT_NE(pool, nullptr);
    // Two examples of two 2x2 channels each.
    const std::vector<float> input = {
        1, 2, 3, 4,  -1, -2, -3, -4,
        9, 8, 7, 6,  0, 5, 0, 0,
    };
    std::vector<float> out(4);
    pool->ops->forward(pool, out.data(), input.data(), 2);
    EXPECT_EQ(out, (std::vector<float>{4, -1, 9, 5}));
    layer_free(pool);
}

TEST(LinearForward, KnownWeights)
{
    Layer *linear = linear_create({3, 1, 1}, 2);
    ASSERT_NE(linear, nullptr);
    EXPECT_EQ(linear->out_shape.channels, 2);
    EXPECT_EQ(linear->out_shape.height, 1);
    EXPECT_EQ(linear->out_shape.width, 1);

    // weight is (out_features, in_features) row-major.
    std::vector<float> weight = {1, 2, 3, -1, 0, 0.5f};
    std::vector<float> bias = {0.5f, -1};
    std::vector<float> weight_grad, bias_grad;
    attach_params(linear, weight, bias, weight_grad, bias_grad);

    const std::vector<float> input = {1, 1, 1, 2, -1, 4};
    std::vector<float> out(4);
    linear->ops->forward(linear, out.data(), input.data(), 2);
    EXPECT_FLOAT_EQ(out[0], 6.5f);   // 1 + 2 + 3 + 0.5
    EXPECT_FLOAT_EQ(out[1], -1.5f);  // -1 + 0 + 0.5 - 1
    EXPECT_FLOAT_EQ(out[2], 12.5f);  // 2 - 2 + 12 + 0.5
    EXPECT_FLOAT_EQ(out[3], -1.0f);  // -2 + 0 + 2 - 1
    layer_free(linear);
}

TEST(ReLUForward, ClampsNegatives)
{
    Layer *relu = relu_create({4, 1, 1});
    ASSERT_NE(relu, nullptr);
    const std::vector<float> input = {-2, 0, 0.5f, 3};
    std::vector<float> out(4);
    relu->ops->forward(relu, out.data(), input.data(), 1);
    EXPECT_EQ(out, (std::vector<float>{0, 0, 0.5f, 3}));

    // The gradient at exactly 0 is taken as 0.
    const std::vector<float> dout = {1, 1, 1, 1};
    std::vector<float> din(4);
    relu->ops->backward(relu, din.data(), dout.data(), input.data(), out.data(), 1);
    EXPECT_EQ(din, (std::vector<float>{0, 0, 1, 1}));
    layer_free(relu);
}

TEST(LayerCreate, Conv2DRejectsInvalidShapes)
{
    // A 7x7 kernel does not fit a 4x4 image padded by 1 (6x6).
    EXPECT_EQ(conv2d_create({1, 4, 4}, 1, 7, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 8}, 1, 7, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 8, 4}, 1, 7, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({0, 4, 4}, 1, 3, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 0, 4}, 1, 3, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({-1, 4, 4}, 1, 3, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, -1, 4}, 1, 1, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, -2}, 1, 1, 1, 2), nullptr);
    EXPECT_EQ(conv2d_create({-1, -1, 4}, 1, 1, 1, 0), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 4}, 0, 3, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 4}, -2, 3, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 4}, 1, 0, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 4}, 1, -3, 1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 4}, 1, 3, 0, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 4}, 1, 3, -1, 1), nullptr);
    EXPECT_EQ(conv2d_create({1, 4, 4}, 1, 3, 1, -1), nullptr);
}

TEST(LayerCreate, Conv2DKernelFillsPaddedInput)
{
    Layer *conv = conv2d_create({1, 4, 4}, 1, 6, 1, 1);
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->out_shape.height, 1);
    EXPECT_EQ(conv->out_shape.width, 1);
    layer_free(conv);
}

TEST(LayerCreate, MaxPool2DRejectsInvalidShapes)
{
    EXPECT_EQ(maxpool2d_create({1, 4, 4}, 5, 1), nullptr);
    EXPECT_EQ(maxpool2d_create({1, 4, 2}, 3, 1), nullptr);
    EXPECT_EQ(maxpool2d_create({1, 4, 4}, 0, 1), nullptr);
    EXPECT_EQ(maxpool2d_create({1, 4, 4}, -2, 1), nullptr);
    EXPECT_EQ(maxpool2d_create({1, 4, 4}, 2, 0), nullptr);
    EXPECT_EQ(maxpool2d_create({1, 4, 4}, 2, -2), nullptr);
    EXPECT_EQ(maxpool2d_create({0, 4, 4}, 2, 2), nullptr);
    EXPECT_EQ(maxpool2d_create({-3, 4, 4}, 2, 2), nullptr);
    EXPECT_EQ(maxpool2d_create({1, -4, 4}, 2, 2), nullptr);
}

TEST(LayerCreate, LinearRejectsInvalidShapes)
{
    // A spatial input must go through Flatten first.
    EXPECT_EQ(linear_create({3, 2, 2}, 5), nullptr);
    EXPECT_EQ(linear_create({1, 4, 1}, 5), nullptr);
    EXPECT_EQ(linear_create({1, 1, 4}, 5), nullptr);
    EXPECT_EQ(linear_create({0, 1, 1}, 5), nullptr);
    EXPECT_EQ(linear_create({-4, 1, 1}, 5), nullptr);
    EXPECT_EQ(linear_create({-1, -1, 1}, 5), nullptr);
    EXPECT_EQ(linear_create({4, 1, 1}, 0), nullptr);
    EXPECT_EQ(linear_create({4, 1, 1}, -1), nullptr);
}

TEST(LayerCreate, ReLUAndFlattenRejectInvalidShapes)
{
    EXPECT_EQ(relu_create({0, 4, 4}), nullptr);
    EXPECT_EQ(relu_create({-1, 4, 4}), nullptr);
    EXPECT_EQ(relu_create({1, -4, -4}), nullptr);
    EXPECT_EQ(flatten_create({0, 4, 4}), nullptr);
    EXPECT_EQ(flatten_create({3, -4, 4}), nullptr);
    EXPECT_EQ(flatten_create({-3, -4, 4}), nullptr);
}

}  // namespace
