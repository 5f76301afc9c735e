// The fast (SIMD) Linear and ReLU layers and ReLU kernels against the
// reference layers, and the fast backend of whole models against the
// reference backend.

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "svhn/layer.h"
#include "svhn/layers_fast.h"
#include "svhn/loss.h"
#include "svhn/models.h"
#include "svhn/network.h"
#include "svhn/relu_kernels.h"
#include "svhn/rng.h"
#include "svhn/simd.h"

namespace {

struct LayerDeleter {
    void operator()(Layer *layer) const { layer_free(layer); }
};
using LayerPtr = std::unique_ptr<Layer, LayerDeleter>;

std::vector<float> random_values(size_t count, Rng *rng)
{
    std::vector<float> values(count);
    for (float &value : values) {
        value = rng_uniform(rng) * 2.0f - 1.0f;
    }
    return values;
}

class ReluKernelTest : public ::testing::TestWithParam<SimdLevel> {
protected:
    void SetUp() override
    {
        if (!simd_level_supported(GetParam())) {
            GTEST_SKIP() << simd_level_name(GetParam()) << " is not supported by this CPU";
        }
    }
};

// ReLU is exact, so every element must match the reference bit for bit,
// for counts around the vector widths and for unaligned pointers. The
// largest count is above the threshold for splitting over threads.
TEST_P(ReluKernelTest, MatchesReferenceExactly)
{
    Rng rng;
    rng_seed(&rng, 5);
    for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{15}, size_t{16}, size_t{17},
                         size_t{33}, size_t{1000}, size_t{300001}}) {
        std::vector<float> in = random_values(count + 1, &rng);
        std::vector<float> dout = random_values(count + 1, &rng);
        if (count > 3) {
            in[3] = 0.0f;  // the gradient at exactly 0 is 0
        }
        std::vector<float> out(count + 1, NAN);
        std::vector<float> din(count + 1, NAN);
        // Offsets of one float make every pointer unaligned.
        relu_forward_kernel(GetParam(), out.data() + 1, in.data() + 1, count);
        relu_backward_kernel(GetParam(), din.data() + 1, dout.data() + 1, out.data() + 1, count);

        ASSERT_TRUE(std::isnan(out[0])) << "count " << count << ": wrote before out";
        for (size_t i = 1; i <= count; i++) {
            const float expected_out = in[i] > 0.0f ? in[i] : 0.0f;
            const float expected_din = expected_out > 0.0f ? dout[i] : 0.0f;
            ASSERT_EQ(out[i], expected_out) << "count " << count << ", forward element " << i;
            ASSERT_EQ(din[i], expected_din) << "count " << count << ", backward element " << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Levels, ReluKernelTest,
                         ::testing::Values(SIMD_SCALAR, SIMD_AVX2, SIMD_AVX512),
                         [](const ::testing::TestParamInfo<SimdLevel> &info) {
                             return std::string(simd_level_name(info.param));
                         });

TEST(LinearFast, SameParametersAsReference)
{
    const Shape shape = {784, 1, 1};
    LayerPtr reference(linear_create(shape, 256));
    LayerPtr fast(linear_fast_create(shape, 256, 0));
    ASSERT_NE(reference, nullptr);
    ASSERT_NE(fast, nullptr);

    EXPECT_STREQ(fast->ops->kind, reference->ops->kind);
    ASSERT_EQ(fast->param_count, reference->param_count);
    for (int p = 0; p < reference->param_count; p++) {
        EXPECT_STREQ(fast->params[p].name, reference->params[p].name);
        EXPECT_EQ(fast->params[p].size, reference->params[p].size);
        EXPECT_EQ(fast->params[p].fan_in, reference->params[p].fan_in);
    }
    EXPECT_EQ(fast->init_gain, reference->init_gain);
    EXPECT_EQ(fast->ops->flops(fast.get()), reference->ops->flops(reference.get()));
}

TEST(LinearFast, RejectsInvalidShapes)
{
    EXPECT_EQ(linear_fast_create(Shape{3, 32, 32}, 10, 0), nullptr);
    EXPECT_EQ(linear_fast_create(Shape{0, 1, 1}, 10, 0), nullptr);
    EXPECT_EQ(linear_fast_create(Shape{10, 1, 1}, 0, 0), nullptr);
    EXPECT_EQ(relu_fast_create(Shape{-1, 1, 1}), nullptr);
}

// Runs forward and backward of a reference and a fast layer on the same
// parameters and inputs, and compares the outputs and gradients with a
// tolerance of (K + 2) FLT_EPSILON times the sum of |terms|, bounded here
// by the largest term times K (inputs and weights are in [-1, 1]).
void compare_linear_layers(int batch, int in_features, int out_features, bool fuse_relu)
{
    const std::string label = std::to_string(batch) + "x" + std::to_string(in_features) +
                              "->" + std::to_string(out_features);
    const Shape shape = {in_features, 1, 1};
    LayerPtr reference(linear_create(shape, out_features));
    LayerPtr fast(linear_fast_create(shape, out_features, fuse_relu ? LINEAR_FAST_FUSE_RELU : 0));
    ASSERT_NE(fast, nullptr);

    Rng rng;
    rng_seed(&rng, 11);
    std::vector<float> weight = random_values(static_cast<size_t>(out_features) * in_features, &rng);
    std::vector<float> bias = random_values(static_cast<size_t>(out_features), &rng);
    std::vector<float> reference_grads(weight.size() + bias.size(), 0.0f);
    std::vector<float> fast_grads(weight.size() + bias.size(), 0.0f);
    for (Layer *layer : {reference.get(), fast.get()}) {
        std::vector<float> &grads = layer == fast.get() ? fast_grads : reference_grads;
        layer->params[0].value = weight.data();
        layer->params[1].value = bias.data();
        layer->params[0].grad = grads.data();
        layer->params[1].grad = grads.data() + weight.size();
    }

    std::vector<float> in = random_values(static_cast<size_t>(batch) * in_features, &rng);
    std::vector<float> dout = random_values(static_cast<size_t>(batch) * out_features, &rng);
    std::vector<float> reference_out(dout.size());
    std::vector<float> fast_out(dout.size());
    reference->ops->forward(reference.get(), reference_out.data(), in.data(), batch);
    fast->ops->forward(fast.get(), fast_out.data(), in.data(), batch);

    const double forward_tolerance = 2.0 * (in_features + 2) * FLT_EPSILON * (in_features + 1);
    for (size_t i = 0; i < fast_out.size(); i++) {
        const float expected = fuse_relu ? std::fmax(reference_out[i], 0.0f) : reference_out[i];
        ASSERT_NEAR(fast_out[i], expected, forward_tolerance) << label << " output " << i;
    }

    std::vector<float> reference_din(in.size());
    std::vector<float> fast_din(in.size());
    reference->ops->backward(reference.get(), reference_din.data(), dout.data(), in.data(),
                             reference_out.data(), batch);
    fast->ops->backward(fast.get(), fast_din.data(), dout.data(), in.data(), fast_out.data(),
                        batch);

    const double data_tolerance = 2.0 * (out_features + 2) * FLT_EPSILON * out_features;
    for (size_t i = 0; i < fast_din.size(); i++) {
        ASSERT_NEAR(fast_din[i], reference_din[i], data_tolerance) << label << " din " << i;
    }
    const double weight_tolerance = 2.0 * (batch + 2) * FLT_EPSILON * batch;
    for (size_t i = 0; i < fast_grads.size(); i++) {
        ASSERT_NEAR(fast_grads[i], reference_grads[i], weight_tolerance)
            << label << " parameter gradient " << i;
    }

    // din == NULL (the first layer of a network) computes only the
    // parameter gradients, which now hold two batches' worth.
    fast->ops->backward(fast.get(), nullptr, dout.data(), in.data(), fast_out.data(), batch);
    for (size_t i = 0; i < fast_grads.size(); i++) {
        ASSERT_NEAR(fast_grads[i], 2.0f * reference_grads[i], 2.0 * weight_tolerance)
            << label << " parameter gradient " << i << " without din";
    }
}

TEST(LinearFast, MatchesReferenceLayer)
{
    compare_linear_layers(250, 1024, 256, false);
    compare_linear_layers(250, 256, 10, false);
    compare_linear_layers(1, 784, 256, false);
    compare_linear_layers(7, 33, 5, false);
}

TEST(LinearFast, NoInputGradientLeavesDinUntouched)
{
    const Shape shape = {40, 1, 1};
    LayerPtr fast(linear_fast_create(shape, 12, LINEAR_FAST_NO_INPUT_GRADIENT));
    ASSERT_NE(fast, nullptr);
    Rng rng;
    rng_seed(&rng, 8);
    std::vector<float> weight = random_values(12 * 40, &rng);
    std::vector<float> bias = random_values(12, &rng);
    std::vector<float> grads(weight.size() + bias.size(), 0.0f);
    fast->params[0].value = weight.data();
    fast->params[1].value = bias.data();
    fast->params[0].grad = grads.data();
    fast->params[1].grad = grads.data() + weight.size();

    std::vector<float> in = random_values(3 * 40, &rng);
    std::vector<float> dout = random_values(3 * 12, &rng);
    std::vector<float> out(3 * 12);
    std::vector<float> din(3 * 40, 42.0f);
    fast->ops->forward(fast.get(), out.data(), in.data(), 3);
    fast->ops->backward(fast.get(), din.data(), dout.data(), in.data(), out.data(), 3);

    for (size_t i = 0; i < din.size(); i++) {
        ASSERT_EQ(din[i], 42.0f) << "din element " << i;
    }
    EXPECT_NE(grads[0], 0.0f) << "the weight gradient was not computed";
}

TEST(LinearFast, FusedReluMatchesReferenceThenRelu)
{
    compare_linear_layers(31, 100, 45, true);
}

// The fast backend of each model computes the same logits and parameter
// gradients as the reference backend. The tolerance is relative to the
// largest value of each tensor: the reference convolutions and the fast
// GEMMs sum in different orders, which changes results only by rounding.
void compare_backends(ModelKind kind, Shape input_shape, int batch)
{
    Error error = {};
    Network *reference = model_create(kind, input_shape, 10, batch, BACKEND_REFERENCE, &error);
    Network *fast = model_create(kind, input_shape, 10, batch, BACKEND_FAST, &error);
    ASSERT_NE(reference, nullptr);
    ASSERT_NE(fast, nullptr);
    ASSERT_EQ(reference->param_count, fast->param_count);

    Rng rng;
    rng_seed(&rng, 3);
    network_init_params(reference, &rng);
    std::copy(reference->params, reference->params + reference->param_count, fast->params);

    std::vector<float> input = random_values(static_cast<size_t>(batch) * shape_size(input_shape), &rng);
    std::vector<uint8_t> labels(static_cast<size_t>(batch));
    for (uint8_t &label : labels) {
        label = static_cast<uint8_t>(rng_below(&rng, 10));
    }

    for (Network *network : {reference, fast}) {
        const float *logits = network_forward(network, input.data(), batch);
        std::vector<float> probs(static_cast<size_t>(batch) * 10);
        std::vector<float> dlogits(probs.size());
        softmax_cross_entropy_forward(probs.data(), logits, labels.data(), batch, 10);
        softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), batch, 10);
        network_zero_grad(network);
        network_backward(network, input.data(), dlogits.data(), batch);
    }

    // The fast LNet may merge layers, so each network has its own last index.
    const float *reference_logits = reference->outputs[reference->layer_count - 1];
    const float *fast_logits = fast->outputs[fast->layer_count - 1];
    const size_t logit_count = static_cast<size_t>(batch) * 10;
    for (size_t i = 0; i < logit_count; i++) {
        ASSERT_NEAR(fast_logits[i], reference_logits[i], 1e-4)
            << model_kind_name(kind) << " logit " << i;
    }
    float largest_grad = 0.0f;
    for (size_t i = 0; i < reference->param_count; i++) {
        largest_grad = std::fmax(largest_grad, std::fabs(reference->grads[i]));
    }
    for (size_t i = 0; i < reference->param_count; i++) {
        ASSERT_NEAR(fast->grads[i], reference->grads[i], 1e-4 * largest_grad)
            << model_kind_name(kind) << " gradient " << i;
    }
    network_free(reference);
    network_free(fast);
}

TEST(FastBackend, MlpMatchesReference)
{
    compare_backends(MODEL_MLP, Shape{3, 32, 32}, 20);
}

TEST(FastBackend, LnetMatchesReference)
{
    compare_backends(MODEL_LNET, Shape{1, 28, 28}, 9);
}

}  // namespace
