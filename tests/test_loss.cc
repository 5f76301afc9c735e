// Softmax cross-entropy values computed by hand, its behaviour on extreme
// logits, its gradient formula, and count_correct.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "svhn/loss.h"

namespace {

TEST(SoftmaxCrossEntropy, MatchesHandValue)
{
    // Row 0: logits (1, 2, 3), label 2. softmax = (e^-2, e^-1, 1) / s with
    // s = 1 + e^-1 + e^-2 = 1.5032147, so p = (0.0900306, 0.2447285,
    // 0.6652410) and the loss is -log(1 / s) = 0.4076060.
    // Row 1: logits (0, 0, 0), label 0. p = 1/3 each, loss log 3 = 1.0986123.
    const std::vector<float> logits = {1, 2, 3, 0, 0, 0};
    const std::vector<uint8_t> labels = {2, 0};
    std::vector<float> probs(6);

    float loss = softmax_cross_entropy_forward(probs.data(), logits.data(), labels.data(), 2, 3);

    EXPECT_NEAR(loss, (0.4076060 + 1.0986123) / 2, 1e-6);
    const double expected_probs[] = {0.0900306, 0.2447285, 0.6652410,
                                     1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (int i = 0; i < 6; i++) {
        EXPECT_NEAR(probs[i], expected_probs[i], 1e-6) << "probs[" << i << "]";
    }
}

TEST(SoftmaxCrossEntropy, MatchesDoubleFormula)
{
    // Ten classes with uneven logits, against a reference in double precision.
    const int classes = 10;
    std::vector<float> logits(classes);
    for (int c = 0; c < classes; c++) {
        logits[c] = 0.7f * c - 0.05f * c * c;
    }
    const uint8_t label = 7;
    std::vector<float> probs(classes);

    float loss = softmax_cross_entropy_forward(probs.data(), logits.data(), &label, 1, classes);

    double sum = 0.0;
    for (float z : logits) {
        sum += std::exp(static_cast<double>(z));
    }
    EXPECT_NEAR(loss, std::log(sum) - logits[label], 1e-6);
    for (int c = 0; c < classes; c++) {
        EXPECT_NEAR(probs[c], std::exp(static_cast<double>(logits[c])) / sum, 1e-7)
            << "probs[" << c << "]";
    }
}

TEST(SoftmaxCrossEntropy, StableForLargeLogits)
{
    // exp(1000) overflows float and double, so only a max-subtracted
    // softmax gets finite values here.
    const std::vector<float> logits = {
        1000, -1000, 0,      // label 0: p = (1, 0, 0), loss 0
        1000, -1000, 0,      // label 1: loss = 1000 - (-1000) = 2000
        1000, 1000, -1000,   // label 1: p = (0.5, 0.5, 0), loss log 2
        -1000, -1000, -1000, // label 2: p = 1/3 each, loss log 3
    };
    const std::vector<uint8_t> labels = {0, 1, 1, 2};
    std::vector<float> probs(12);

    float loss = softmax_cross_entropy_forward(probs.data(), logits.data(), labels.data(), 4, 3);

    ASSERT_TRUE(std::isfinite(loss)) << "loss " << loss;
    EXPECT_NEAR(loss, (0.0 + 2000.0 + std::log(2.0) + std::log(3.0)) / 4, 1e-3);
    const double expected_probs[] = {1, 0, 0, 1, 0, 0, 0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (int i = 0; i < 12; i++) {
        ASSERT_TRUE(std::isfinite(probs[i])) << "probs[" << i << "] = " << probs[i];
        EXPECT_NEAR(probs[i], expected_probs[i], 1e-6) << "probs[" << i << "]";
    }

    // Each loss row on its own, so an error in one row cannot hide in the mean.
    for (int n = 0; n < 4; n++) {
        float row_loss = softmax_cross_entropy_forward(probs.data(), logits.data() + 3 * n,
                                                       labels.data() + n, 1, 3);
        const double expected[] = {0.0, 2000.0, std::log(2.0), std::log(3.0)};
        EXPECT_NEAR(row_loss, expected[n], 1e-3) << "row " << n;
    }
}

TEST(SoftmaxCrossEntropy, BackwardMatchesFormula)
{
    const std::vector<float> probs = {0.2f, 0.3f, 0.5f, 0.6f, 0.1f, 0.3f};
    const std::vector<uint8_t> labels = {1, 0};
    std::vector<float> dlogits(6, NAN);

    softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), 2, 3);

    const float expected[] = {0.1f, -0.35f, 0.25f, -0.2f, 0.05f, 0.15f};
    for (int i = 0; i < 6; i++) {
        EXPECT_NEAR(dlogits[i], expected[i], 1e-7) << "dlogits[" << i << "]";
    }
}

TEST(CountCorrect, FirstMaximumWinsTies)
{
    const std::vector<float> logits = {
        1, 3, 3,   // tie between 1 and 2: class 1
        1, 3, 3,   // same row, label 2: wrong
        5, 5, 5,   // all equal: class 0
        5, 5, 5,   // label 1: wrong
        -1, -2, -0.5f,  // class 2
        2, 1, 0,   // class 0, label 1: wrong
    };
    const std::vector<uint8_t> labels = {1, 2, 0, 1, 2, 1};

    EXPECT_EQ(count_correct(logits.data(), labels.data(), 6, 3), 3);
    EXPECT_EQ(count_correct(logits.data(), labels.data(), 1, 3), 1);
    EXPECT_EQ(count_correct(logits.data() + 3, labels.data() + 1, 1, 3), 0);
    EXPECT_EQ(count_correct(logits.data() + 9, labels.data() + 3, 1, 3), 0);
}

}  // namespace
