// Finite-difference gradient checking shared by the layer and network tests.
#ifndef SVHN_TESTS_GRADIENT_CHECK_H
#define SVHN_TESTS_GRADIENT_CHECK_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "svhn/rng.h"

namespace gradient_check {

struct Settings {
    double step;         // h of the central difference (L(v + h) - L(v - h)) / 2h
    double tolerance;    // largest accepted relative_error
    double floor;        // denominator floor of relative_error
    size_t max_checks;   // tensors with more elements are checked on a random subset
};

// |analytic - numeric| / max(|analytic|, |numeric|, floor). The floor keeps
// rounding noise on a gradient close to zero from reading as a large
// relative error.
inline double relative_error(double analytic, double numeric, double floor)
{
    double scale = std::max({std::fabs(analytic), std::fabs(numeric), floor});
    return std::fabs(analytic - numeric) / scale;
}

// Returns every index below count, or max_checks distinct random ones.
inline std::vector<size_t> indices_to_check(size_t count, size_t max_checks, Rng *rng)
{
    std::vector<size_t> indices(count);
    std::iota(indices.begin(), indices.end(), size_t{0});
    if (count <= max_checks) {
        return indices;
    }
    for (size_t i = 0; i < max_checks; i++) {
        size_t j = i + rng_below(rng, static_cast<uint32_t>(count - i));
        std::swap(indices[i], indices[j]);
    }
    indices.resize(max_checks);
    return indices;
}

// Central difference of objective() in values[index]. The step is the one
// float arithmetic actually applied, (float)(v + h) - (float)(v - h), not
// 2h, so the rounding of the perturbed value adds no error. Restores
// values[index].
inline double numeric_derivative(float *values, size_t index,
                                 const std::function<double()> &objective, double step)
{
    const float original = values[index];
    const float plus = static_cast<float>(original + step);
    const float minus = static_cast<float>(original - step);

    values[index] = plus;
    double loss_plus = objective();
    values[index] = minus;
    double loss_minus = objective();
    values[index] = original;

    return (loss_plus - loss_minus) / (static_cast<double>(plus) - minus);
}

// Compares analytic[i] with the numeric derivative of objective() in
// values[i] for each checked element, reporting up to five failing elements
// by tensor name and index. objective must recompute the loss from the
// current contents of values. Returns the largest relative error seen.
inline double check_tensor(const std::string &name, float *values, const float *analytic,
                           size_t count, const std::function<double()> &objective,
                           const Settings &settings, Rng *rng)
{
    double max_error = 0.0;
    int failures = 0;
    std::vector<size_t> indices = indices_to_check(count, settings.max_checks, rng);

    for (size_t index : indices) {
        double numeric = numeric_derivative(values, index, objective, settings.step);
        double error = relative_error(analytic[index], numeric, settings.floor);
        max_error = std::max(max_error, error);
        if (!(error <= settings.tolerance)) {
            failures++;
            if (failures <= 5) {
                ADD_FAILURE() << name << "[" << index << "]: analytic " << analytic[index]
                              << ", numeric " << numeric << ", relative error " << error
                              << " > " << settings.tolerance;
            }
        }
    }
    EXPECT_EQ(failures, 0) << name << ": " << failures << " of " << indices.size()
                           << " checked elements differ from the finite difference";
    return max_error;
}

}  // namespace gradient_check

#endif
