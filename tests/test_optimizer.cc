// SGD and Adam updates against references written out in double precision
// from the rules in optimizer.h (those of PyTorch's torch.optim.SGD without
// dampening or Nesterov, and torch.optim.Adam with L2 weight decay).

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "svhn/optimizer.h"

namespace {

// Four parameters over three steps. The last parameter starts at 0 with a
// zero first gradient, so weight decay and Adam's epsilon both matter.
const std::vector<double> kInitialParams = {0.5, -1.0, 2.0, 0.0};
const std::vector<std::vector<double>> kGrads = {
    {0.1, -0.2, 0.3, 0.0},
    {-0.4, 0.0, 0.25, 1.0},
    {0.05, 0.5, -0.1, -1.0},
};

std::vector<float> to_float(const std::vector<double> &values)
{
    return std::vector<float>(values.begin(), values.end());
}

TEST(OptimizerDefaults, MatchDocumentedValues)
{
    OptimizerConfig sgd = optimizer_default_config(OPTIMIZER_SGD);
    EXPECT_EQ(sgd.kind, OPTIMIZER_SGD);
    EXPECT_FLOAT_EQ(sgd.learning_rate, 0.01f);
    EXPECT_FLOAT_EQ(sgd.momentum, 0.9f);
    EXPECT_EQ(sgd.weight_decay, 0.0f);

    OptimizerConfig adam = optimizer_default_config(OPTIMIZER_ADAM);
    EXPECT_EQ(adam.kind, OPTIMIZER_ADAM);
    EXPECT_FLOAT_EQ(adam.learning_rate, 1e-3f);
    EXPECT_FLOAT_EQ(adam.beta1, 0.9f);
    EXPECT_FLOAT_EQ(adam.beta2, 0.999f);
    EXPECT_FLOAT_EQ(adam.epsilon, 1e-8f);
    EXPECT_EQ(adam.weight_decay, 0.0f);
}

TEST(SgdStep, MomentumAndWeightDecay)
{
    const double lr = 0.1, momentum = 0.9, weight_decay = 0.01;
    OptimizerConfig config = optimizer_default_config(OPTIMIZER_SGD);
    config.learning_rate = static_cast<float>(lr);
    config.momentum = static_cast<float>(momentum);
    config.weight_decay = static_cast<float>(weight_decay);

    Optimizer optimizer;
    Error error;
    ASSERT_EQ(optimizer_init(&optimizer, &config, kInitialParams.size(), &error), 0)
        << error.message;
    std::vector<float> params = to_float(kInitialParams);

    // Reference: g = grad + wd * w;  v = momentum * v + g;  w -= lr * v.
    // The velocity starts at 0, so the first v is g, as in PyTorch.
    std::vector<double> expected = kInitialParams;
    std::vector<double> velocity(expected.size(), 0.0);

    for (size_t step = 0; step < kGrads.size(); step++) {
        std::vector<float> grads = to_float(kGrads[step]);
        optimizer_step(&optimizer, params.data(), grads.data());
        EXPECT_EQ(optimizer.step, static_cast<long>(step + 1));

        for (size_t i = 0; i < expected.size(); i++) {
            double g = kGrads[step][i] + weight_decay * expected[i];
            velocity[i] = momentum * velocity[i] + g;
            expected[i] -= lr * velocity[i];
            EXPECT_NEAR(params[i], expected[i], 1e-6)
                << "param " << i << " after step " << step + 1;
        }

        if (step == 0) {
            // Written out: w0 = 0.5 - 0.1 * (0.1 + 0.01 * 0.5) = 0.4895,
            // w1 = -1 - 0.1 * (-0.2 - 0.01) = -0.979.
            EXPECT_NEAR(params[0], 0.4895, 2e-7);
            EXPECT_NEAR(params[1], -0.979, 2e-7);
            EXPECT_EQ(params[3], 0.0f);
        }
    }
    optimizer_free(&optimizer);
}

TEST(SgdStep, WithoutMomentum)
{
    OptimizerConfig config = optimizer_default_config(OPTIMIZER_SGD);
    config.learning_rate = 0.5f;
    config.momentum = 0.0f;

    Optimizer optimizer;
    Error error;
    ASSERT_EQ(optimizer_init(&optimizer, &config, 2, &error), 0) << error.message;
    std::vector<float> params = {1.0f, -2.0f};
    const std::vector<float> grads = {0.5f, 1.0f};

    optimizer_step(&optimizer, params.data(), grads.data());
    EXPECT_FLOAT_EQ(params[0], 0.75f);
    EXPECT_FLOAT_EQ(params[1], -2.5f);
    optimizer_step(&optimizer, params.data(), grads.data());
    EXPECT_FLOAT_EQ(params[0], 0.5f);
    EXPECT_FLOAT_EQ(params[1], -3.0f);
    optimizer_free(&optimizer);
}

TEST(AdamStep, WeightDecayAndBiasCorrection)
{
    const double lr = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0.05;
    OptimizerConfig config = optimizer_default_config(OPTIMIZER_ADAM);
    config.learning_rate = static_cast<float>(lr);
    config.weight_decay = static_cast<float>(weight_decay);

    Optimizer optimizer;
    Error error;
    ASSERT_EQ(optimizer_init(&optimizer, &config, kInitialParams.size(), &error), 0)
        << error.message;
    std::vector<float> params = to_float(kInitialParams);

    // Reference: g = grad + wd * w;  m = b1 m + (1 - b1) g;
    // v = b2 v + (1 - b2) g^2;  w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    std::vector<double> expected = kInitialParams;
    std::vector<double> m(expected.size(), 0.0);
    std::vector<double> v(expected.size(), 0.0);

    for (size_t step = 0; step < kGrads.size(); step++) {
        std::vector<float> grads = to_float(kGrads[step]);
        optimizer_step(&optimizer, params.data(), grads.data());
        const double t = static_cast<double>(step + 1);

        for (size_t i = 0; i < expected.size(); i++) {
            double g = kGrads[step][i] + weight_decay * expected[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            double m_hat = m[i] / (1 - std::pow(beta1, t));
            double v_hat = v[i] / (1 - std::pow(beta2, t));
            expected[i] -= lr * m_hat / (std::sqrt(v_hat) + epsilon);
            EXPECT_NEAR(params[i], expected[i], 2e-6)
                << "param " << i << " after step " << step + 1;
        }

        if (step == 0) {
            // After bias correction the first step is lr * g / (|g| + eps),
            // lr times the sign of g: w0 = 0.5 - 0.01, w1 = -1 + 0.01.
            // w3 has g = 0 + 0.05 * 0 = 0 and does not move.
            EXPECT_NEAR(params[0], 0.49, 1e-6);
            EXPECT_NEAR(params[1], -0.99, 1e-6);
            EXPECT_NEAR(params[2], 1.99, 1e-6);
            EXPECT_EQ(params[3], 0.0f);
        }
    }
    optimizer_free(&optimizer);
}

TEST(OptimizerInit, AllocatesStateForKind)
{
    Error error;
    Optimizer sgd;
    OptimizerConfig sgd_config = optimizer_default_config(OPTIMIZER_SGD);
    ASSERT_EQ(optimizer_init(&sgd, &sgd_config, 5, &error), 0) << error.message;
    EXPECT_NE(sgd.velocity, nullptr);
    EXPECT_EQ(sgd.moment1, nullptr);
    EXPECT_EQ(sgd.step, 0);
    optimizer_free(&sgd);
    EXPECT_EQ(sgd.velocity, nullptr);

    Optimizer adam;
    OptimizerConfig adam_config = optimizer_default_config(OPTIMIZER_ADAM);
    ASSERT_EQ(optimizer_init(&adam, &adam_config, 5, &error), 0) << error.message;
    EXPECT_EQ(adam.velocity, nullptr);
    EXPECT_NE(adam.moment1, nullptr);
    EXPECT_NE(adam.moment2, nullptr);
    optimizer_free(&adam);
}

}  // namespace
