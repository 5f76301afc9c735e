// Model construction, parameter initialisation, the layer summary, a
// whole-network gradient check and batch-size independence of the network.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "gradient_check.h"
#include "svhn/layer.h"
#include "svhn/loss.h"
#include "svhn/models.h"
#include "svhn/network.h"
#include "svhn/rng.h"

namespace {

constexpr int kClasses = 10;

struct NetworkDeleter {
    void operator()(Network *network) const { network_free(network); }
};
using NetworkPtr = std::unique_ptr<Network, NetworkDeleter>;

NetworkPtr create_model(ModelKind kind, Shape input_shape, int max_batch, Error *error,
                        Backend backend = BACKEND_REFERENCE)
{
    return NetworkPtr(model_create(kind, input_shape, kClasses, max_batch, backend, error));
}

size_t layer_param_count(const Layer *layer)
{
    size_t count = 0;
    for (int p = 0; p < layer->param_count; p++) {
        count += layer->params[p].size;
    }
    return count;
}

std::vector<float> random_values(size_t count, Rng *rng)
{
    std::vector<float> values(count);
    for (float &value : values) {
        value = 2.0f * rng_uniform(rng) - 1.0f;
    }
    return values;
}

struct ModelCase {
    ModelKind kind;
    Shape input_shape;
    int layer_count;
    // Parameter count of each layer with parameters, by layer index.
    std::vector<std::pair<int, size_t>> layer_params;
    size_t total_params;
};

// LNet on C x H x W: conv1 6*C*25 + 6, conv2 16*6*9 + 16,
// fc1 (16 * H/4 * W/4) * 256 + 256, fc2 256*10 + 10.
// MLP: fc1 (C*H*W) * 1024 + 1024, fc2 1024*10 + 10.
const ModelCase kModelCases[] = {
    {MODEL_LNET, {3, 32, 32}, 10,
     {{0, 6 * 3 * 25 + 6}, {3, 16 * 6 * 9 + 16}, {7, 1024 * 256 + 256}, {9, 256 * 10 + 10}},
     456 + 880 + 262400 + 2570},
    {MODEL_LNET, {1, 28, 28}, 10,
     {{0, 6 * 1 * 25 + 6}, {3, 16 * 6 * 9 + 16}, {7, 784 * 256 + 256}, {9, 256 * 10 + 10}},
     156 + 880 + 200960 + 2570},
    {MODEL_MLP, {3, 32, 32}, 4,
     {{1, 3072 * 1024 + 1024}, {3, 1024 * 10 + 10}},
     3146752 + 10250},
    {MODEL_MLP, {1, 28, 28}, 4,
     {{1, 784 * 1024 + 1024}, {3, 1024 * 10 + 10}},
     803840 + 10250},
};

std::string case_name(const ModelCase &c)
{
    return std::string(model_kind_name(c.kind)) + " on " + std::to_string(c.input_shape.channels) +
           "x" + std::to_string(c.input_shape.height) + "x" + std::to_string(c.input_shape.width);
}

TEST(ModelCreate, ShapesAndParamCounts)
{
    for (const ModelCase &c : kModelCases) {
        for (Backend backend : {BACKEND_REFERENCE, BACKEND_FAST}) {
            SCOPED_TRACE(case_name(c) + ", backend " + backend_name(backend));
            Error error = {};
            NetworkPtr network = create_model(c.kind, c.input_shape, 2, &error, backend);
            ASSERT_NE(network, nullptr) << error.message;

            Shape out = network_output_shape(network.get());
            EXPECT_EQ(out.channels, kClasses);
            EXPECT_EQ(out.height, 1);
            EXPECT_EQ(out.width, 1);
            EXPECT_EQ(network->param_count, c.total_params);
            if (backend != BACKEND_REFERENCE) {
                continue;  // another backend may merge layers, e.g. a Linear with its ReLU
            }

            ASSERT_EQ(network->layer_count, c.layer_count);
            size_t with_params = 0;
            for (const auto &[index, count] : c.layer_params) {
                EXPECT_EQ(layer_param_count(network->layers[index]), count) << "layer " << index;
                with_params += count;
            }
            EXPECT_EQ(with_params, c.total_params) << "a layer has parameters the case omits";
        }
    }
}

// The SIMD kernels read whole 64-byte vectors; buffers that start on a
// cache line keep each of those loads within one line.
TEST(ModelCreate, BuffersStartOnCacheLines)
{
    Error error = {};
    NetworkPtr network = create_model(MODEL_MLP, Shape{3, 32, 32}, 250, &error, BACKEND_FAST);
    ASSERT_NE(network, nullptr) << error.message;

    EXPECT_EQ(reinterpret_cast<uintptr_t>(network->params) % 64, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(network->grads) % 64, 0u);
    for (int i = 0; i < network->layer_count; i++) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(network->outputs[i]) % 64, 0u) << "layer " << i;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(network->doutputs[i]) % 64, 0u) << "layer " << i;
    }
}

TEST(ModelCreate, LnetLayerOrder)
{
    Error error = {};
    NetworkPtr network = create_model(MODEL_LNET, {3, 32, 32}, 1, &error);
    ASSERT_NE(network, nullptr) << error.message;
    const char *expected[] = {"Conv2D", "MaxPool2D", "ReLU",   "Conv2D", "MaxPool2D",
                              "ReLU",   "Flatten",   "Linear", "ReLU",   "Linear"};
    ASSERT_EQ(network->layer_count, 10);
    for (int i = 0; i < 10; i++) {
        EXPECT_STREQ(network->layers[i]->ops->kind, expected[i]) << "layer " << i;
    }
    EXPECT_EQ(network->layers[4]->out_shape.channels, 16);
    EXPECT_EQ(network->layers[4]->out_shape.height, 8);
    EXPECT_EQ(network->layers[4]->out_shape.width, 8);
}

TEST(ModelCreate, RejectsTooSmallInput)
{
    // 1x1 images cannot go through LNet's 2x2 pooling.
    Error error = {};
    Network *network =
        model_create(MODEL_LNET, {1, 1, 1}, kClasses, 1, BACKEND_REFERENCE, &error);
    EXPECT_EQ(network, nullptr);
    EXPECT_NE(std::string(error.message).find("could not be created"), std::string::npos)
        << error.message;
    network_free(network);
}

std::string read_stream(FILE *stream)
{
    std::string text;
    rewind(stream);
    char buffer[256];
    size_t read;
    while ((read = fread(buffer, 1, sizeof buffer, stream)) > 0) {
        text.append(buffer, read);
    }
    return text;
}

TEST(NetworkSummary, PrintsRowPerLayer)
{
    Error error = {};
    NetworkPtr network = create_model(MODEL_LNET, {3, 32, 32}, 1, &error);
    ASSERT_NE(network, nullptr) << error.message;

    FILE *stream = tmpfile();
    ASSERT_NE(stream, nullptr);
    network_print_summary(network.get(), stream);
    std::string text = read_stream(stream);
    fclose(stream);

    // A header, the input row, one row per layer and the totals.
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        lines.push_back(text.substr(start, end - start));
    }
    ASSERT_EQ(lines.size(), static_cast<size_t>(network->layer_count) + 3) << text;

    for (int i = 0; i < network->layer_count; i++) {
        char description[96];
        network->layers[i]->ops->describe(network->layers[i], description, sizeof description);
        const std::string &row = lines[i + 2];
        EXPECT_NE(row.find(description), std::string::npos) << "row " << i << ": " << row;
        EXPECT_EQ(row.rfind(std::to_string(i) + " ", 0), 0u) << "row " << i << ": " << row;
    }
    EXPECT_NE(lines[2].find("Conv2D 3->6 5x5 stride 1 pad 2"), std::string::npos) << lines[2];
    EXPECT_NE(lines[2].find("6x32x32"), std::string::npos) << lines[2];
    EXPECT_NE(lines.back().find("total"), std::string::npos) << lines.back();
    EXPECT_NE(lines.back().find(std::to_string(network->param_count)), std::string::npos)
        << lines.back();
}

TEST(NetworkInit, DeterministicForSeed)
{
    Error error = {};
    NetworkPtr first = create_model(MODEL_LNET, {3, 32, 32}, 1, &error);
    NetworkPtr second = create_model(MODEL_LNET, {3, 32, 32}, 1, &error);
    NetworkPtr other = create_model(MODEL_LNET, {3, 32, 32}, 1, &error);
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    ASSERT_NE(other, nullptr);

    Rng rng;
    rng_seed(&rng, 7);
    network_init_params(first.get(), &rng);
    rng_seed(&rng, 7);
    network_init_params(second.get(), &rng);
    rng_seed(&rng, 8);
    network_init_params(other.get(), &rng);

    const size_t bytes = first->param_count * sizeof(float);
    EXPECT_EQ(std::memcmp(first->params, second->params, bytes), 0);
    EXPECT_NE(std::memcmp(first->params, other->params, bytes), 0);
}

TEST(NetworkInit, WeightStdAndZeroBiases)
{
    for (ModelKind kind : {MODEL_LNET, MODEL_MLP}) {
        SCOPED_TRACE(model_kind_name(kind));
        Error error = {};
        NetworkPtr network = create_model(kind, {3, 32, 32}, 1, &error);
        ASSERT_NE(network, nullptr) << error.message;

        // Non-zero everywhere first, so biases left untouched would show.
        for (size_t i = 0; i < network->param_count; i++) {
            network->params[i] = 1.0f;
        }
        Rng rng;
        rng_seed(&rng, 3);
        network_init_params(network.get(), &rng);

        for (int i = 0; i < network->layer_count; i++) {
            const Layer *layer = network->layers[i];
            for (int p = 0; p < layer->param_count; p++) {
                const Param &param = layer->params[p];
                SCOPED_TRACE("layer " + std::to_string(i) + " " + param.name);
                if (param.fan_in == 0) {
                    for (size_t j = 0; j < param.size; j++) {
                        ASSERT_EQ(param.value[j], 0.0f) << "bias[" << j << "]";
                    }
                    continue;
                }

                double sum = 0.0, sum_squares = 0.0;
                for (size_t j = 0; j < param.size; j++) {
                    sum += param.value[j];
                    sum_squares += static_cast<double>(param.value[j]) * param.value[j];
                }
                const double n = static_cast<double>(param.size);
                const double mean = sum / n;
                const double std = std::sqrt(sum_squares / n - mean * mean);
                const double expected_std = layer->init_gain / std::sqrt(param.fan_in);

                // The sample std of n normal draws has a relative standard
                // error of 1 / sqrt(2n), and the mean has a standard error of
                // std / sqrt(n). Both may be off by 5 standard errors.
                EXPECT_NEAR(std, expected_std, 5.0 * expected_std / std::sqrt(2.0 * n));
                EXPECT_NEAR(mean, 0.0, 5.0 * expected_std / std::sqrt(n));
            }
        }
    }
}

TEST(NetworkInit, HeGainBeforeRelu)
{
    // Layers followed by a ReLU (possibly after pooling) use sqrt(2), and
    // the output layer uses 1.
    Error error = {};
    NetworkPtr network = create_model(MODEL_LNET, {3, 32, 32}, 1, &error);
    ASSERT_NE(network, nullptr) << error.message;
    EXPECT_FLOAT_EQ(network->layers[0]->init_gain, std::sqrt(2.0f));
    EXPECT_FLOAT_EQ(network->layers[3]->init_gain, std::sqrt(2.0f));
    EXPECT_FLOAT_EQ(network->layers[7]->init_gain, std::sqrt(2.0f));
    EXPECT_FLOAT_EQ(network->layers[9]->init_gain, 1.0f);
}

Layer **layer_array(std::initializer_list<Layer *> layers)
{
    Layer **array = static_cast<Layer **>(calloc(layers.size(), sizeof(Layer *)));
    size_t i = 0;
    for (Layer *layer : layers) {
        array[i++] = layer;
    }
    return array;
}

TEST(NetworkCreate, RejectsShapeMismatch)
{
    // The conv outputs 4 channels, but the ReLU was built for 3.
    Layer **layers = layer_array({conv2d_create({3, 8, 8}, 4, 3, 1, 1), relu_create({3, 8, 8})});
    Error error = {};
    Network *network = network_create(layers, 2, {3, 8, 8}, 2, &error);
    EXPECT_EQ(network, nullptr);
    EXPECT_STREQ(error.message,
                 "layer 1 (ReLU) expects input 3x8x8 but the previous layer outputs 4x8x8");
    network_free(network);
}

TEST(NetworkCreate, RejectsInputShapeMismatch)
{
    Layer **layers = layer_array({relu_create({3, 8, 8})});
    Error error = {};
    Network *network = network_create(layers, 1, {1, 8, 8}, 2, &error);
    EXPECT_EQ(network, nullptr);
    EXPECT_STREQ(error.message,
                 "layer 0 (ReLU) expects input 3x8x8 but the previous layer outputs 1x8x8");
    network_free(network);
}

TEST(NetworkCreate, RejectsNullLayerAndEmptyNetwork)
{
    Layer **layers = layer_array({relu_create({3, 8, 8}), nullptr});
    Error error = {};
    EXPECT_EQ(network_create(layers, 2, {3, 8, 8}, 2, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("layer 1 could not be created"), std::string::npos)
        << error.message;

    error = {};
    EXPECT_EQ(network_create(nullptr, 0, {3, 8, 8}, 2, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("at least one layer"), std::string::npos)
        << error.message;

    error = {};
    layers = layer_array({relu_create({3, 8, 8})});
    EXPECT_EQ(network_create(layers, 1, {3, 8, 8}, 0, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("batch 0"), std::string::npos) << error.message;
}

// A small LNet-like network on 2x9x9 inputs: conv 5x5 pad 2, pool, ReLU,
// conv 3x3 pad 1, pool, ReLU, flatten, linear, ReLU, linear. Both pools are
// 2x2 with stride 2.
constexpr int kPoolSize = 2;

NetworkPtr create_tiny_lnet(int max_batch)
{
    const Shape input_shape = {2, 9, 9};
    Layer **layers = static_cast<Layer **>(calloc(10, sizeof(Layer *)));
    Shape shape = input_shape;
    int count = 0;
    auto append = [&](Layer *layer) {
        layers[count++] = layer;
        if (layer != nullptr) {
            shape = layer->out_shape;
        }
    };
    append(conv2d_create(shape, 3, 5, 1, 2));      // 3x9x9
    append(maxpool2d_create(shape, kPoolSize, kPoolSize));  // 3x4x4
    append(relu_create(shape));
    append(conv2d_create(shape, 4, 3, 1, 1));      // 4x4x4
    append(maxpool2d_create(shape, kPoolSize, kPoolSize));  // 4x2x2
    append(relu_create(shape));
    append(flatten_create(shape));                 // 16
    append(linear_create(shape, 6));
    append(relu_create(shape));
    append(linear_create(shape, kClasses));

    Error error = {};
    Network *network = network_create(layers, count, input_shape, max_batch, &error);
    EXPECT_NE(network, nullptr) << error.message;
    return NetworkPtr(network);
}

// Returns which ReLU inputs are positive and which element of each pooling
// window is the maximum, from the activations of the last forward pass. A
// finite difference is only valid when this pattern is the same at v - h,
// v and v + h, because the loss has a kink wherever it changes.
std::vector<int> activation_pattern(const Network *network, const float *input, int batch)
{
    std::vector<int> pattern;
    for (int i = 0; i < network->layer_count; i++) {
        const Layer *layer = network->layers[i];
        const float *in = i == 0 ? input : network->outputs[i - 1];
        const Shape is = layer->in_shape;
        const Shape os = layer->out_shape;

        if (std::strcmp(layer->ops->kind, "ReLU") == 0) {
            for (size_t j = 0; j < batch * shape_size(is); j++) {
                pattern.push_back(in[j] > 0.0f);
            }
        } else if (std::strcmp(layer->ops->kind, "MaxPool2D") == 0) {
            for (int plane = 0; plane < batch * is.channels; plane++) {
                const float *x = in + static_cast<size_t>(plane) * is.height * is.width;
                for (int oh = 0; oh < os.height; oh++) {
                    for (int ow = 0; ow < os.width; ow++) {
                        int best = -1;
                        for (int kh = 0; kh < kPoolSize; kh++) {
                            for (int kw = 0; kw < kPoolSize; kw++) {
                                int offset = (oh * kPoolSize + kh) * is.width + ow * kPoolSize + kw;
                                if (best < 0 || x[offset] > x[best]) {
                                    best = offset;
                                }
                            }
                        }
                        pattern.push_back(best);
                    }
                }
            }
        }
    }
    return pattern;
}

// Mean softmax cross-entropy of float logits, in double precision.
double mean_cross_entropy(const float *logits, const uint8_t *labels, int batch)
{
    double total = 0.0;
    for (int n = 0; n < batch; n++) {
        const float *z = logits + static_cast<size_t>(n) * kClasses;
        double max_logit = z[0];
        for (int c = 1; c < kClasses; c++) {
            max_logit = std::max(max_logit, static_cast<double>(z[c]));
        }
        double sum = 0.0;
        for (int c = 0; c < kClasses; c++) {
            sum += std::exp(z[c] - max_logit);
        }
        total += std::log(sum) - (z[labels[n]] - max_logit);
    }
    return total / batch;
}

// Tolerance: with the activation pattern fixed, the network is linear in
// each parameter up to the logits, and only the softmax is curved, so the
// truncation error of the central difference is of order h^2 = 1e-4 times
// the loss's small third derivative. What remains is float rounding in the
// logits, about 1.5e-7 of a loss near 2.3 per evaluation, or 7e-6 after
// dividing by 2h. A relative error of 1e-2 against a floor of 5e-3 allows
// 5e-5 absolute, several times that noise, while a wrong gradient term
// gives errors of order 1.
TEST(NetworkGradient, MatchesFiniteDifferences)
{
    const int batch = 3;
    NetworkPtr network = create_tiny_lnet(batch);
    ASSERT_NE(network, nullptr);

    Rng rng;
    rng_seed(&rng, 5);
    network_init_params(network.get(), &rng);
    // Positive biases keep most ReLUs active, so few gradients are zero
    // and the deeper layers' weights get a real check.
    for (int i = 0; i < network->layer_count; i++) {
        Layer *layer = network->layers[i];
        if (layer->param_count == 2) {
            for (size_t j = 0; j < layer->params[1].size; j++) {
                layer->params[1].value[j] = 0.1f + 0.3f * rng_uniform(&rng);
            }
        }
    }

    std::vector<float> input = random_values(batch * shape_size(network->input_shape), &rng);
    std::vector<uint8_t> labels(batch);
    for (uint8_t &label : labels) {
        label = static_cast<uint8_t>(rng_below(&rng, kClasses));
    }

    // Analytic gradients through the library loss and network_backward.
    std::vector<float> probs(batch * kClasses);
    std::vector<float> dlogits(batch * kClasses);
    network_zero_grad(network.get());
    const float *logits = network_forward(network.get(), input.data(), batch);
    float loss = softmax_cross_entropy_forward(probs.data(), logits, labels.data(), batch,
                                               kClasses);
    EXPECT_NEAR(loss, mean_cross_entropy(logits, labels.data(), batch), 1e-5);
    softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), batch, kClasses);
    network_backward(network.get(), input.data(), dlogits.data(), batch);
    const std::vector<float> analytic(network->grads, network->grads + network->param_count);
    const std::vector<int> base_pattern = activation_pattern(network.get(), input.data(), batch);

    const gradient_check::Settings settings = {
        /*step=*/1e-2, /*tolerance=*/1e-2, /*floor=*/5e-3, /*max_checks=*/0};
    std::vector<int> pattern_plus, pattern_minus;
    int evaluations = 0;
    auto objective = [&]() {
        const float *out = network_forward(network.get(), input.data(), batch);
        // The first evaluation of each pair is at v + h, the second at v - h.
        std::vector<int> &pattern = evaluations++ % 2 == 0 ? pattern_plus : pattern_minus;
        pattern = activation_pattern(network.get(), input.data(), batch);
        return mean_cross_entropy(out, labels.data(), batch);
    };

    // Up to 6 random elements of every weight and bias tensor.
    int checked = 0, skipped = 0, nonzero = 0;
    for (int i = 0; i < network->layer_count; i++) {
        Layer *layer = network->layers[i];
        for (int p = 0; p < layer->param_count; p++) {
            const Param &param = layer->params[p];
            const size_t offset = static_cast<size_t>(param.value - network->params);
            const std::string name =
                "layer " + std::to_string(i) + " " + layer->ops->kind + " " + param.name;
            int checked_here = 0;

            std::vector<int> order(param.size);
            std::iota(order.begin(), order.end(), 0);
            rng_shuffle(&rng, order.data(), static_cast<int>(order.size()));
            for (int index : order) {
                if (checked_here == 6) {
                    break;
                }
                double numeric = gradient_check::numeric_derivative(param.value, index,
                                                                    objective, settings.step);
                if (pattern_plus != base_pattern || pattern_minus != base_pattern) {
                    skipped++;  // a ReLU or a pooling window switched within +-h
                    continue;
                }
                const double expected = analytic[offset + index];
                double error = gradient_check::relative_error(expected, numeric, settings.floor);
                EXPECT_LE(error, settings.tolerance) << name << "[" << index << "]: analytic "
                                                     << expected << ", numeric " << numeric;
                checked_here++;
                checked++;
                nonzero += expected != 0.0;
            }
            EXPECT_GT(checked_here, 0) << name << ": every element crossed a kink";
        }
    }
    EXPECT_GE(checked, 30);
    EXPECT_GE(nonzero, checked / 2) << "most checked gradients are zero, a weak check";
    EXPECT_LE(skipped, checked) << "too many parameters crossed a kink to trust the check";
}

// Runs each example alone and compares with a partial batch (3 of a
// max_batch of 4, after a full batch left other values in the buffers).
void check_batch_independence(Network *network, Rng *rng)
{
    const size_t example_size = shape_size(network->input_shape);
    const int max_batch = network->max_batch;
    const int batch = max_batch - 1;

    std::vector<float> warmup = random_values(max_batch * example_size, rng);
    network_forward(network, warmup.data(), max_batch);

    std::vector<float> input = random_values(batch * example_size, rng);
    const float *out = network_forward(network, input.data(), batch);
    const std::vector<float> batched(out, out + batch * kClasses);

    for (int n = 0; n < batch; n++) {
        const float *single = network_forward(network, input.data() + n * example_size, 1);
        for (int c = 0; c < kClasses; c++) {
            EXPECT_FLOAT_EQ(single[c], batched[n * kClasses + c])
                << "example " << n << ", logit " << c;
        }
    }

    // The parameter gradients of the batch are the sum of the gradients of
    // its examples for the same rows of dlogits.
    std::vector<float> dlogits = random_values(batch * kClasses, rng);
    network_zero_grad(network);
    network_forward(network, input.data(), batch);
    network_backward(network, input.data(), dlogits.data(), batch);
    const std::vector<float> batch_grads(network->grads, network->grads + network->param_count);

    network_zero_grad(network);
    for (int n = 0; n < batch; n++) {
        network_forward(network, input.data() + n * example_size, 1);
        network_backward(network, input.data() + n * example_size, dlogits.data() + n * kClasses,
                         1);
    }
    int mismatches = 0;
    for (size_t i = 0; i < network->param_count; i++) {
        double expected = batch_grads[i];
        if (std::fabs(network->grads[i] - expected) > 1e-5 * std::fabs(expected) + 1e-6 &&
            mismatches++ < 5) {
            ADD_FAILURE() << "grad[" << i << "]: summed singles " << network->grads[i]
                          << ", batch " << expected;
        }
    }
    EXPECT_EQ(mismatches, 0);
}

TEST(NetworkBatch, PartialBatchMatchesSingleExamples)
{
    for (Backend backend : {BACKEND_REFERENCE, BACKEND_FAST}) {
        for (ModelKind kind : {MODEL_LNET, MODEL_MLP}) {
            SCOPED_TRACE(std::string(model_kind_name(kind)) + ", backend " + backend_name(backend));
            Error error = {};
            NetworkPtr network = create_model(kind, {3, 12, 12}, 4, &error, backend);
            ASSERT_NE(network, nullptr) << error.message;
            Rng rng;
            rng_seed(&rng, 9);
            network_init_params(network.get(), &rng);
            check_batch_independence(network.get(), &rng);
        }
    }
}

}  // namespace
