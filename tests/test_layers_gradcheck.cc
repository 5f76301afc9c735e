// Finite-difference checks of every layer's backward pass and of the
// softmax cross-entropy gradient.
//
// Each layer check uses the objective L = sum(out * R) with a fixed random R,
// so the analytic gradients come from backward(dout = R). L is summed in
// double from the float outputs.
//
// Tolerance: Linear and Conv2D are linear in the input, the weights and the
// bias, and ReLU, MaxPool2D and Flatten are linear as long as no input
// crosses 0 or changes a window's maximum (the inputs below make sure of
// that). The central difference therefore has no truncation error, and all
// of its error is float rounding in the outputs that the perturbed element
// reaches. With m such outputs of size |y| ~ 1, that noise in L is about
// sqrt(m) * |y| * 6e-8 (float epsilon / 2), and dividing by 2h = 2e-2 gives
// roughly 3e-6 * sqrt(m); for the largest m here (~150) that is 4e-5. A
// relative error of 1e-3 against a floor of 0.1 allows 1e-4 absolute, more
// than twice that noise (the largest error seen with these seeds is 2e-4
// relative), while an indexing mistake gives errors of order 1.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "gradient_check.h"
#include "svhn/layer.h"
#include "svhn/loss.h"
#include "svhn/rng.h"

namespace {

const gradient_check::Settings kLayerSettings = {
    /*step=*/1e-2, /*tolerance=*/1e-3, /*floor=*/0.1, /*max_checks=*/400};

// A layer whose parameters live in test-owned buffers, set up the way
// network_create points them into the network's buffers.
class LayerUnderTest {
public:
    explicit LayerUnderTest(Layer *layer) : layer_(layer)
    {
        if (layer_ == nullptr) {
            return;
        }
        values_.resize(layer_->param_count);
        grads_.resize(layer_->param_count);
        for (int p = 0; p < layer_->param_count; p++) {
            values_[p].assign(layer_->params[p].size, 0.0f);
            grads_[p].assign(layer_->params[p].size, 0.0f);
            layer_->params[p].value = values_[p].data();
            layer_->params[p].grad = grads_[p].data();
        }
    }
    ~LayerUnderTest() { layer_free(layer_); }
    LayerUnderTest(const LayerUnderTest &) = delete;
    LayerUnderTest &operator=(const LayerUnderTest &) = delete;

    Layer *get() const { return layer_; }

    // Weights from N(0, 1 / fan_in), so outputs stay of order 1, and biases
    // uniform in [-0.5, 0.5), so a missing bias term shows in the output.
    void randomize_params(Rng *rng)
    {
        for (int p = 0; p < layer_->param_count; p++) {
            const Param &param = layer_->params[p];
            for (float &value : values_[p]) {
                value = param.fan_in > 0
                            ? rng_normal(rng) / std::sqrt(static_cast<float>(param.fan_in))
                            : rng_uniform(rng) - 0.5f;
            }
        }
    }

    void zero_grads()
    {
        for (auto &grad : grads_) {
            std::fill(grad.begin(), grad.end(), 0.0f);
        }
    }

    std::vector<float> &values(int p) { return values_[p]; }
    std::vector<float> &grads(int p) { return grads_[p]; }

private:
    Layer *layer_;
    std::vector<std::vector<float>> values_;
    std::vector<std::vector<float>> grads_;
};

std::vector<float> uniform_values(size_t count, float low, float high, Rng *rng)
{
    std::vector<float> values(count);
    for (float &value : values) {
        value = low + (high - low) * rng_uniform(rng);
    }
    return values;
}

// Values of magnitude in [0.1, 1] with random signs, so a ReLU input stays
// more than the step h = 1e-2 away from its kink at 0.
std::vector<float> values_away_from_zero(size_t count, Rng *rng)
{
    std::vector<float> values(count);
    for (float &value : values) {
        float magnitude = 0.1f + 0.9f * rng_uniform(rng);
        value = rng_uniform(rng) < 0.5f ? -magnitude : magnitude;
    }
    return values;
}

// A random permutation of evenly spaced values 0.05 apart, so any two
// elements of a pooling window differ by more than the step h = 1e-2 and
// perturbing one element never changes which one is the maximum.
std::vector<float> distinct_values(size_t count, Rng *rng)
{
    std::vector<int> order(count);
    std::iota(order.begin(), order.end(), 0);
    rng_shuffle(rng, order.data(), static_cast<int>(count));

    std::vector<float> values(count);
    for (size_t i = 0; i < count; i++) {
        values[i] = 0.05f * (order[i] - static_cast<float>(count) / 2);
    }
    return values;
}

size_t batch_size_of(Shape shape, int batch)
{
    return static_cast<size_t>(batch) * shape_size(shape);
}

// Checks the input gradient and every parameter gradient of the layer
// against central differences of L = sum(out * R).
void check_layer_gradients(LayerUnderTest &layer_under_test, std::vector<float> input,
                           int batch, Rng *rng)
{
    Layer *layer = layer_under_test.get();
    const size_t out_count = batch_size_of(layer->out_shape, batch);
    const std::vector<float> dout = uniform_values(out_count, -1.0f, 1.0f, rng);
    std::vector<float> out(out_count);

    auto objective = [&]() {
        layer->ops->forward(layer, out.data(), input.data(), batch);
        double sum = 0.0;
        for (size_t i = 0; i < out_count; i++) {
            sum += static_cast<double>(out[i]) * dout[i];
        }
        return sum;
    };

    // backward must overwrite din, so NaN left anywhere fails the check.
    std::vector<float> din(input.size(), NAN);
    layer->ops->forward(layer, out.data(), input.data(), batch);
    layer_under_test.zero_grads();
    layer->ops->backward(layer, din.data(), dout.data(), input.data(), out.data(), batch);

    gradient_check::check_tensor("input", input.data(), din.data(), input.size(), objective,
                                 kLayerSettings, rng);
    for (int p = 0; p < layer->param_count; p++) {
        const std::vector<float> analytic = layer_under_test.grads(p);
        gradient_check::check_tensor(layer->params[p].name, layer_under_test.values(p).data(),
                                     analytic.data(), analytic.size(), objective,
                                     kLayerSettings, rng);
    }
}

// Checks that backward with din == NULL gives the same parameter gradients
// as with din, and that a second backward call adds to them.
void check_param_grads_without_din_and_accumulation(LayerUnderTest &layer_under_test,
                                                     const std::vector<float> &input,
                                                     int batch, Rng *rng)
{
    Layer *layer = layer_under_test.get();
    const size_t out_count = batch_size_of(layer->out_shape, batch);
    const std::vector<float> dout = uniform_values(out_count, -1.0f, 1.0f, rng);
    std::vector<float> out(out_count);
    std::vector<float> din(input.size());
    layer->ops->forward(layer, out.data(), input.data(), batch);

    layer_under_test.zero_grads();
    layer->ops->backward(layer, din.data(), dout.data(), input.data(), out.data(), batch);
    std::vector<std::vector<float>> with_din;
    for (int p = 0; p < layer->param_count; p++) {
        with_din.push_back(layer_under_test.grads(p));
    }

    layer_under_test.zero_grads();
    layer->ops->backward(layer, nullptr, dout.data(), input.data(), out.data(), batch);
    for (int p = 0; p < layer->param_count; p++) {
        const std::vector<float> &grad = layer_under_test.grads(p);
        for (size_t i = 0; i < grad.size(); i++) {
            ASSERT_EQ(grad[i], with_din[p][i])
                << layer->params[p].name << "[" << i << "] differs when din is NULL";
        }
    }

    // Same dout again without zeroing: every gradient must double. The
    // order of the float additions may differ from the first call, hence
    // the 1e-5 relative margin.
    layer->ops->backward(layer, nullptr, dout.data(), input.data(), out.data(), batch);
    for (int p = 0; p < layer->param_count; p++) {
        const std::vector<float> &grad = layer_under_test.grads(p);
        for (size_t i = 0; i < grad.size(); i++) {
            double expected = 2.0 * with_din[p][i];
            ASSERT_NEAR(grad[i], expected, 1e-5 * std::fabs(expected) + 1e-6)
                << layer->params[p].name << "[" << i << "] after two backward calls";
        }
    }
}

std::string describe(const Layer *layer, int batch)
{
    char text[96];
    layer->ops->describe(layer, text, sizeof text);
    std::ostringstream stream;
    stream << text << " on " << layer->in_shape.channels << "x" << layer->in_shape.height
           << "x" << layer->in_shape.width << ", batch " << batch;
    return stream.str();
}

struct ConvCase {
    Shape in_shape;
    int out_channels;
    int kernel_size;
    int stride;
    int padding;
    int batch;
};

// Odd and even sizes, kernels 1, 3 and 5, strides 1 and 2, padding 0 to 2,
// channel counts that are not multiples of 4, and batches of 1 and 3. In
// the 2x6x6 stride 2 case, the last input row and column are never read.
const ConvCase kConvCases[] = {
    {{3, 7, 5}, 5, 3, 1, 1, 3},
    {{2, 7, 5}, 3, 5, 2, 2, 1},
    {{3, 6, 6}, 2, 1, 2, 0, 3},
    {{1, 5, 7}, 3, 3, 2, 0, 2},
    {{2, 6, 6}, 3, 3, 2, 0, 1},
    {{3, 7, 6}, 5, 3, 2, 1, 3},
    {{5, 5, 5}, 6, 5, 1, 2, 1},
    {{1, 3, 3}, 1, 5, 1, 1, 2},
};

TEST(Conv2DGradient, MatchesFiniteDifferences)
{
    Rng rng;
    rng_seed(&rng, 11);
    for (const ConvCase &c : kConvCases) {
        LayerUnderTest conv(
            conv2d_create(c.in_shape, c.out_channels, c.kernel_size, c.stride, c.padding));
        ASSERT_NE(conv.get(), nullptr);
        SCOPED_TRACE(describe(conv.get(), c.batch));

        conv.randomize_params(&rng);
        std::vector<float> input =
            uniform_values(batch_size_of(c.in_shape, c.batch), -1.0f, 1.0f, &rng);
        check_layer_gradients(conv, input, c.batch, &rng);
    }
}

TEST(Conv2DGradient, ParamGradsWithoutDinAccumulate)
{
    Rng rng;
    rng_seed(&rng, 12);
    for (const ConvCase &c : kConvCases) {
        LayerUnderTest conv(
            conv2d_create(c.in_shape, c.out_channels, c.kernel_size, c.stride, c.padding));
        ASSERT_NE(conv.get(), nullptr);
        SCOPED_TRACE(describe(conv.get(), c.batch));

        conv.randomize_params(&rng);
        std::vector<float> input =
            uniform_values(batch_size_of(c.in_shape, c.batch), -1.0f, 1.0f, &rng);
        check_param_grads_without_din_and_accumulation(conv, input, c.batch, &rng);
    }
}

struct LinearCase {
    int in_features;
    int out_features;
    int batch;
};

const LinearCase kLinearCases[] = {
    {7, 5, 3},
    {13, 1, 1},
    {1, 6, 2},
    {37, 11, 3},
};

TEST(LinearGradient, MatchesFiniteDifferences)
{
    Rng rng;
    rng_seed(&rng, 21);
    for (const LinearCase &c : kLinearCases) {
        const Shape in_shape = {c.in_features, 1, 1};
        LayerUnderTest linear(linear_create(in_shape, c.out_features));
        ASSERT_NE(linear.get(), nullptr);
        SCOPED_TRACE(describe(linear.get(), c.batch));

        linear.randomize_params(&rng);
        std::vector<float> input =
            uniform_values(batch_size_of(in_shape, c.batch), -1.0f, 1.0f, &rng);
        check_layer_gradients(linear, input, c.batch, &rng);
    }
}

TEST(LinearGradient, ParamGradsWithoutDinAccumulate)
{
    Rng rng;
    rng_seed(&rng, 22);
    for (const LinearCase &c : kLinearCases) {
        const Shape in_shape = {c.in_features, 1, 1};
        LayerUnderTest linear(linear_create(in_shape, c.out_features));
        ASSERT_NE(linear.get(), nullptr);
        SCOPED_TRACE(describe(linear.get(), c.batch));

        linear.randomize_params(&rng);
        std::vector<float> input =
            uniform_values(batch_size_of(in_shape, c.batch), -1.0f, 1.0f, &rng);
        check_param_grads_without_din_and_accumulation(linear, input, c.batch, &rng);
    }
}

struct PoolCase {
    Shape in_shape;
    int kernel_size;
    int stride;
    int batch;
};

// Non-overlapping, overlapping (3x3 stride 2 and stride 1) and strided
// 1x1 windows, on odd sizes where the last row or column may be left out.
const PoolCase kPoolCases[] = {
    {{3, 7, 5}, 2, 2, 3},
    {{2, 7, 5}, 3, 2, 1},
    {{3, 5, 7}, 3, 1, 2},
    {{1, 5, 5}, 1, 2, 3},
    {{5, 6, 6}, 2, 2, 1},
};

TEST(MaxPool2DGradient, MatchesFiniteDifferences)
{
    Rng rng;
    rng_seed(&rng, 31);
    for (const PoolCase &c : kPoolCases) {
        LayerUnderTest pool(maxpool2d_create(c.in_shape, c.kernel_size, c.stride));
        ASSERT_NE(pool.get(), nullptr);
        SCOPED_TRACE(describe(pool.get(), c.batch));

        std::vector<float> input = distinct_values(batch_size_of(c.in_shape, c.batch), &rng);
        check_layer_gradients(pool, input, c.batch, &rng);
    }
}

TEST(ReLUGradient, MatchesFiniteDifferences)
{
    Rng rng;
    rng_seed(&rng, 41);
    const Shape shapes[] = {{3, 7, 5}, {5, 1, 1}};
    for (Shape shape : shapes) {
        for (int batch : {1, 3}) {
            LayerUnderTest relu(relu_create(shape));
            ASSERT_NE(relu.get(), nullptr);
            SCOPED_TRACE(describe(relu.get(), batch));

            std::vector<float> input = values_away_from_zero(batch_size_of(shape, batch), &rng);
            check_layer_gradients(relu, input, batch, &rng);
        }
    }
}

TEST(FlattenGradient, MatchesFiniteDifferences)
{
    Rng rng;
    rng_seed(&rng, 51);
    for (int batch : {1, 3}) {
        const Shape shape = {3, 7, 5};
        LayerUnderTest flatten(flatten_create(shape));
        ASSERT_NE(flatten.get(), nullptr);
        SCOPED_TRACE(describe(flatten.get(), batch));
        EXPECT_EQ(flatten.get()->out_shape.channels, 3 * 7 * 5);

        std::vector<float> input =
            uniform_values(batch_size_of(shape, batch), -1.0f, 1.0f, &rng);
        check_layer_gradients(flatten, input, batch, &rng);
    }
}

TEST(ParameterlessLayers, AcceptNullDin)
{
    const Shape shape = {2, 5, 5};
    const int batch = 2;
    Layer *layers[] = {relu_create(shape), flatten_create(shape), maxpool2d_create(shape, 2, 2)};
    for (Layer *layer : layers) {
        ASSERT_NE(layer, nullptr);
        SCOPED_TRACE(layer->ops->kind);
        std::vector<float> input(batch_size_of(shape, batch), 1.0f);
        std::vector<float> out(batch_size_of(layer->out_shape, batch));
        layer->ops->forward(layer, out.data(), input.data(), batch);
        layer->ops->backward(layer, nullptr, out.data(), input.data(), out.data(), batch);
        layer_free(layer);
    }
}

// The loss is smooth, so here the central difference has a truncation error
// of about h^2 / 6 * |third derivative|, below 1e-6 with h = 1e-2 and
// derivatives of order 1 / batch. The larger error is rounding: the float
// loss of about 2.3 carries up to ~3e-7 of it per evaluation (half an ulp of
// the result plus the float probabilities), which is 3e-5 after dividing by
// 2h. Gradients are p / batch, mostly above 0.02, so a relative error of
// 3e-3 against a floor of 0.02 allows 6e-5 absolute, twice that noise.
TEST(SoftmaxCrossEntropyGradient, MatchesFiniteDifferences)
{
    Rng rng;
    rng_seed(&rng, 61);
    const gradient_check::Settings settings = {
        /*step=*/1e-2, /*tolerance=*/3e-3, /*floor=*/0.02, /*max_checks=*/400};

    for (int batch : {1, 3}) {
        SCOPED_TRACE("batch " + std::to_string(batch));
        const int classes = 10;
        std::vector<float> logits =
            uniform_values(static_cast<size_t>(batch) * classes, -3.0f, 3.0f, &rng);
        std::vector<uint8_t> labels(batch);
        for (uint8_t &label : labels) {
            label = static_cast<uint8_t>(rng_below(&rng, classes));
        }
        std::vector<float> probs(logits.size());
        std::vector<float> dlogits(logits.size());

        softmax_cross_entropy_forward(probs.data(), logits.data(), labels.data(), batch, classes);
        softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), batch,
                                       classes);

        std::vector<float> scratch(logits.size());
        auto objective = [&]() {
            return static_cast<double>(softmax_cross_entropy_forward(
                scratch.data(), logits.data(), labels.data(), batch, classes));
        };
        gradient_check::check_tensor("dlogits", logits.data(), dlogits.data(), logits.size(),
                                     objective, settings, &rng);
    }
}

}  // namespace
