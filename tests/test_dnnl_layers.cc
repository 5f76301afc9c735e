// The oneDNN convolution stack against the reference layers (Conv2D ->
// MaxPool2D -> ReLU chains), and one LNet training step on the fast backend
// against the reference backend.
//
// Tolerance: both sides compute in float32 but sum in different orders (the
// oneDNN kernels block and split the reductions), so each element may differ
// by a few units in the last place of the partial sums. An element passes
// when |fast - ref| <= 1e-4 * (|ref| + max |ref| over the tensor); weight
// gradients sum up to batch * H * W products, which is why the bound scales
// with the tensor's largest value and not only with the element itself.
// The inputs are small random tensors, so two values of one pooling window
// lie within rounding of each other (which could move the argmax) with
// negligible probability.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "svhn/dnnl_layers.h"
#include "svhn/layer.h"
#include "svhn/loss.h"
#include "svhn/models.h"
#include "svhn/network.h"
#include "svhn/optimizer.h"
#include "svhn/rng.h"

namespace {

constexpr float kRelativeTolerance = 1e-4f;

std::vector<float> random_vector(size_t size, Rng *rng)
{
    std::vector<float> values(size);
    for (float &v : values) {
        v = rng_normal(rng);
    }
    return values;
}

// Checks every element with the tolerance described at the top of the file.
void expect_close(const float *fast, const float *ref, size_t size, const std::string &tensor_name)
{
    float max_ref = 0.0f;
    for (size_t i = 0; i < size; i++) {
        max_ref = std::max(max_ref, std::fabs(ref[i]));
    }
    int reported = 0;
    for (size_t i = 0; i < size; i++) {
        float bound = kRelativeTolerance * (std::fabs(ref[i]) + max_ref);
        if (!(std::fabs(fast[i] - ref[i]) <= bound)) {
            ADD_FAILURE() << tensor_name << "[" << i << "]: fast " << fast[i] << ", reference "
                          << ref[i] << ", allowed difference " << bound;
            if (++reported == 5) {
                return;
            }
        }
    }
}

// A chain of reference layers equivalent to a ConvStack, run by hand so the
// first layer also computes the input gradient.
struct ReferenceChain {
    std::vector<Layer *> layers;
    std::vector<std::vector<float>> outputs;
    std::vector<std::vector<float>> doutputs;

    ReferenceChain(Shape shape, const std::vector<ConvStageSpec> &stages)
    {
        for (const ConvStageSpec &spec : stages) {
            add(conv2d_create(shape, spec.out_channels, spec.kernel_size, spec.stride,
                              spec.padding), &shape);
            if (spec.pool_size > 0) {
                add(maxpool2d_create(shape, spec.pool_size, spec.pool_stride), &shape);
            }
            if (spec.relu) {
                add(relu_create(shape), &shape);
            }
        }
    }
    ~ReferenceChain()
    {
        for (Layer *layer : layers) {
            layer_free(layer);
        }
    }

    void add(Layer *layer, Shape *shape)
    {
        layers.push_back(layer);
        if (layer != nullptr) {
            *shape = layer->out_shape;
        }
    }

    const float *forward(const float *in, int batch)
    {
        outputs.resize(layers.size());
        doutputs.resize(layers.size());
        for (size_t i = 0; i < layers.size(); i++) {
            outputs[i].resize((size_t)batch * shape_size(layers[i]->out_shape));
            doutputs[i].resize(outputs[i].size());
            layers[i]->ops->forward(layers[i], outputs[i].data(), in, batch);
            in = outputs[i].data();
        }
        return in;
    }

    void backward(float *din, const float *dout, const float *input, int batch)
    {
        for (size_t i = layers.size(); i-- > 0;) {
            const float *in = i == 0 ? input : outputs[i - 1].data();
            float *layer_din = i == 0 ? din : doutputs[i - 1].data();
            layers[i]->ops->backward(layers[i], layer_din, dout, in, outputs[i].data(), batch);
            dout = layer_din;
        }
    }
};

// Parameter and gradient buffers of one layer, laid out as network_create
// lays them out.
struct ParamBuffers {
    std::vector<float> values;
    std::vector<float> grads;

    void attach(Layer *layer)
    {
        size_t total = 0;
        for (int p = 0; p < layer->param_count; p++) {
            total += layer->params[p].size;
        }
        values.resize(total);
        grads.resize(total);
        size_t offset = 0;
        for (int p = 0; p < layer->param_count; p++) {
            layer->params[p].value = values.data() + offset;
            layer->params[p].grad = grads.data() + offset;
            offset += layer->params[p].size;
        }
    }
};

struct StackCase {
    const char *name;
    Shape in_shape;
    std::vector<ConvStageSpec> stages;
    int max_batch;
    std::vector<int> batches;  // run in this order on the same layer
};

// Runs forward and backward on both sides for each batch size and compares
// output, input gradient, and every weight and bias gradient.
void check_stack_against_reference(const StackCase &c)
{
    SCOPED_TRACE(c.name);
    Error error = {};
    Layer *stack = conv_stack_create(c.in_shape, c.stages.data(), (int)c.stages.size(),
                                     c.max_batch, &error);
    ASSERT_NE(stack, nullptr) << error.message;
    ReferenceChain chain(c.in_shape, c.stages);
    for (Layer *layer : chain.layers) {
        ASSERT_NE(layer, nullptr);
    }
    const Layer *last = chain.layers.back();
    ASSERT_EQ(stack->out_shape.channels, last->out_shape.channels);
    ASSERT_EQ(stack->out_shape.height, last->out_shape.height);
    ASSERT_EQ(stack->out_shape.width, last->out_shape.width);

    ParamBuffers stack_params;
    stack_params.attach(stack);
    std::vector<Layer *> ref_convs;
    std::vector<ParamBuffers> ref_params;
    for (Layer *layer : chain.layers) {
        if (layer->param_count > 0) {
            ref_convs.push_back(layer);
        }
    }
    ASSERT_EQ(2 * ref_convs.size(), (size_t)stack->param_count);
    ref_params.resize(ref_convs.size());

    Rng rng;
    rng_seed(&rng, 1234);
    stack_params.values = random_vector(stack_params.values.size(), &rng);
    stack_params.attach(stack);
    size_t offset = 0;
    for (size_t i = 0; i < ref_convs.size(); i++) {
        ref_params[i].attach(ref_convs[i]);
        ASSERT_EQ(ref_convs[i]->params[0].size, stack->params[2 * i].size);
        ASSERT_EQ(ref_convs[i]->params[1].size, stack->params[2 * i + 1].size);
        std::copy_n(stack_params.values.begin() + offset, ref_params[i].values.size(),
                    ref_params[i].values.begin());
        offset += ref_params[i].values.size();
    }

    for (int batch : c.batches) {
        SCOPED_TRACE("batch " + std::to_string(batch));
        const size_t in_size = (size_t)batch * shape_size(c.in_shape);
        const size_t out_size = (size_t)batch * shape_size(stack->out_shape);
        std::vector<float> input = random_vector(in_size, &rng);
        std::vector<float> dout = random_vector(out_size, &rng);

        std::vector<float> out(out_size);
        stack->ops->forward(stack, out.data(), input.data(), batch);
        const float *ref_out = chain.forward(input.data(), batch);
        expect_close(out.data(), ref_out, out_size, "output");

        // Gradients start non-zero on both sides to check that they add up.
        std::fill(stack_params.grads.begin(), stack_params.grads.end(), 0.5f);
        for (ParamBuffers &p : ref_params) {
            std::fill(p.grads.begin(), p.grads.end(), 0.5f);
        }
        std::vector<float> din(in_size, 7.0f);
        std::vector<float> ref_din(in_size);
        stack->ops->backward(stack, din.data(), dout.data(), input.data(), out.data(), batch);
        chain.backward(ref_din.data(), dout.data(), input.data(), batch);
        expect_close(din.data(), ref_din.data(), in_size, "input gradient");

        for (size_t i = 0; i < ref_convs.size(); i++) {
            const std::string stage = "stage " + std::to_string(i);
            expect_close(stack->params[2 * i].grad, ref_convs[i]->params[0].grad,
                         ref_convs[i]->params[0].size, stage + " weight gradient");
            expect_close(stack->params[2 * i + 1].grad, ref_convs[i]->params[1].grad,
                         ref_convs[i]->params[1].size, stage + " bias gradient");
        }
    }
    layer_free(stack);
}

ConvStageSpec stage(int out_channels, int kernel, int stride, int padding, int pool,
                    int pool_stride, int relu)
{
    return ConvStageSpec{out_channels, kernel, stride, padding, pool, pool_stride, relu};
}

const ConvStageSpec kLnetStage1 = stage(6, 5, 1, 2, 2, 2, 1);
const ConvStageSpec kLnetStage2 = stage(16, 3, 1, 1, 2, 2, 1);

TEST(ConvStack, LnetShapesWithPartialBatch)
{
    check_stack_against_reference(
        {"LNet 3x32x32", {3, 32, 32}, {kLnetStage1, kLnetStage2}, 6, {6, 5, 6}});
    check_stack_against_reference(
        {"LNet 1x28x28", {1, 28, 28}, {kLnetStage1, kLnetStage2}, 4, {4, 3}});
}

TEST(ConvStack, OddSizesAndStride2)
{
    check_stack_against_reference({"odd 2x13x11, stride 2 second stage",
                                   {2, 13, 11},
                                   {stage(5, 3, 1, 1, 2, 2, 1), stage(4, 3, 2, 0, 0, 0, 1)},
                                   3,
                                   {3, 1}});
    check_stack_against_reference({"stride 2 conv, overlapping 3x3 pool stride 2",
                                   {1, 28, 28},
                                   {stage(6, 5, 2, 2, 3, 2, 1)},
                                   2,
                                   {2, 1}});
}

TEST(ConvStack, BatchOne)
{
    check_stack_against_reference(
        {"LNet 3x32x32 batch 1", {3, 32, 32}, {kLnetStage1, kLnetStage2}, 1, {1}});
}

TEST(ConvStack, ConvolutionAlone)
{
    check_stack_against_reference(
        {"conv only 3x9x7", {3, 9, 7}, {stage(8, 3, 1, 0, 0, 0, 0)}, 2, {2, 1}});
    check_stack_against_reference(
        {"conv and pool, no ReLU", {4, 10, 10}, {stage(16, 3, 1, 1, 2, 2, 0)}, 2, {2}});
}

TEST(ConvStack, RejectsInvalidShapes)
{
    Error error = {};
    ConvStageSpec too_large = stage(4, 7, 1, 0, 0, 0, 1);
    EXPECT_EQ(conv_stack_create({1, 5, 5}, &too_large, 1, 2, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("invalid convolution"), std::string::npos);

    ConvStageSpec pool_too_large = stage(4, 3, 1, 0, 4, 4, 1);
    EXPECT_EQ(conv_stack_create({1, 5, 5}, &pool_too_large, 1, 2, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("invalid max pooling"), std::string::npos);
}

// oneDNN 2.6 falls back to reference kernels for some layouts (for example
// 6-channel tensors in a 16-channel blocked layout), which are 10-100x slower.
TEST(ConvStack, LnetAvoidsReferenceKernels)
{
    const ConvStageSpec stages[2] = {kLnetStage1, kLnetStage2};
    const Shape shapes[2] = {{3, 32, 32}, {1, 28, 28}};
    for (Shape shape : shapes) {
        Error error = {};
        Layer *stack = conv_stack_create(shape, stages, 2, 250, &error);
        ASSERT_NE(stack, nullptr) << error.message;
        char text[2048];
        EXPECT_EQ(conv_stack_describe_impls(stack, 250, text, sizeof text), 0) << text;
        layer_free(stack);
    }
}

// One SGD step of LNet on both backends from the same initial weights.
// SGD and not Adam: Adam's first step is about lr * sign(gradient), which
// turns rounding differences in near-zero gradients into differences of lr.
TEST(LnetFastBackend, TrainingStepMatchesReference)
{
    const Shape shape = {3, 32, 32};
    const int classes = 10;
    const int max_batch = 24;
    Error error = {};
    Network *fast = model_create(MODEL_LNET, shape, classes, max_batch, BACKEND_FAST, &error);
    ASSERT_NE(fast, nullptr) << error.message;
    Network *ref = model_create(MODEL_LNET, shape, classes, max_batch, BACKEND_REFERENCE,
                                &error);
    ASSERT_NE(ref, nullptr) << error.message;
    ASSERT_EQ(fast->param_count, ref->param_count);

    Rng rng;
    rng_seed(&rng, 42);
    network_init_params(fast, &rng);
    rng_seed(&rng, 42);
    network_init_params(ref, &rng);
    ASSERT_EQ(0, std::memcmp(fast->params, ref->params, ref->param_count * sizeof(float)));

    OptimizerConfig config = optimizer_default_config(OPTIMIZER_SGD);
    Optimizer fast_optimizer, ref_optimizer;
    ASSERT_EQ(optimizer_init(&fast_optimizer, &config, fast->param_count, &error), 0);
    ASSERT_EQ(optimizer_init(&ref_optimizer, &config, ref->param_count, &error), 0);

    // A full batch, then the last partial batch of an epoch.
    for (int batch : {max_batch, 17}) {
        SCOPED_TRACE("batch " + std::to_string(batch));
        std::vector<float> images = random_vector((size_t)batch * shape_size(shape), &rng);
        std::vector<uint8_t> labels(batch);
        for (uint8_t &label : labels) {
            label = (uint8_t)rng_below(&rng, classes);
        }

        const float *fast_logits = network_forward(fast, images.data(), batch);
        const float *ref_logits = network_forward(ref, images.data(), batch);
        expect_close(fast_logits, ref_logits, (size_t)batch * classes, "logits");

        std::vector<float> probs((size_t)batch * classes);
        std::vector<float> dlogits((size_t)batch * classes);
        softmax_cross_entropy_forward(probs.data(), ref_logits, labels.data(), batch, classes);
        softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), batch,
                                       classes);

        network_zero_grad(fast);
        network_zero_grad(ref);
        network_backward(fast, images.data(), dlogits.data(), batch);
        network_backward(ref, images.data(), dlogits.data(), batch);
        expect_close(fast->grads, ref->grads, ref->param_count, "gradients");

        optimizer_step(&fast_optimizer, fast->params, fast->grads);
        optimizer_step(&ref_optimizer, ref->params, ref->grads);
        expect_close(fast->params, ref->params, ref->param_count, "parameters after SGD step");
    }

    optimizer_free(&fast_optimizer);
    optimizer_free(&ref_optimizer);
    network_free(fast);
    network_free(ref);
}

}  // namespace
