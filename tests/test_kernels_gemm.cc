// The SIMD GEMM and the linear-layer products at every SIMD level this CPU
// supports, against a double-precision reference on awkward shapes.
//
// Tolerance: a float dot product of length K, summed in any order, is within
// gamma_K * sum|a_i b_i| of the exact value, with gamma_K = K u / (1 - K u)
// and u = FLT_EPSILON / 2 (Higham, Accuracy and Stability of Numerical
// Algorithms, section 3.1). The bias and an accumulated C add two more
// terms, so each element is checked against
//   (K + 2) * FLT_EPSILON * (sum|a_i b_i| + |bias| + |c_old|),
// which is that bound with room to spare for K below 2^20.

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "svhn/gemm.h"
#include "svhn/linear_kernels.h"
#include "svhn/rng.h"
#include "svhn/simd.h"

namespace {

// Element accessor for a matrix stored with arbitrary strides.
struct Strided {
    const float *data;
    ptrdiff_t row_stride;
    ptrdiff_t col_stride;
    float at(int row, int col) const { return data[row * row_stride + col * col_stride]; }
};

std::vector<float> random_values(size_t count, Rng *rng)
{
    std::vector<float> values(count);
    for (float &value : values) {
        value = rng_uniform(rng) * 2.0f - 1.0f;
    }
    return values;
}

// Rows and columns checked on a large result: the first, the last and
// those around the register-tile edges, plus a few random ones.
std::vector<int> indices_to_check(int size, bool all, Rng *rng)
{
    std::vector<int> indices;
    if (all) {
        for (int i = 0; i < size; i++) {
            indices.push_back(i);
        }
        return indices;
    }
    for (int i : {0, 1, 5, 6, 13, 14, 15, 31, 32, 33}) {
        if (i < size) {
            indices.push_back(i);
        }
    }
    indices.push_back(size - 1);
    for (int i = 0; i < 6; i++) {
        indices.push_back(static_cast<int>(rng_below(rng, static_cast<uint32_t>(size))));
    }
    return indices;
}

// Checks c (m, n) against old_c + a · b + bias (then ReLU) in double.
// Every element when m * n * k is small, a grid of rows and columns
// otherwise, so the reference stays cheap on the MLP shapes.
void expect_product(const std::string &label, const float *c, ptrdiff_t ldc,
                    const float *old_c, Strided a, Strided b, const float *bias,
                    bool relu, int m, int n, int k)
{
    Rng rng;
    rng_seed(&rng, 7);
    const bool all = static_cast<double>(m) * n * k < 2e7;
    const std::vector<int> rows = indices_to_check(m, all, &rng);
    const std::vector<int> cols = indices_to_check(n, all, &rng);

    int failures = 0;
    for (int i : rows) {
        for (int j : cols) {
            double exact = 0.0;
            double magnitude = 0.0;
            for (int p = 0; p < k; p++) {
                const double term = static_cast<double>(a.at(i, p)) * b.at(p, j);
                exact += term;
                magnitude += std::fabs(term);
            }
            if (bias != nullptr) {
                exact += bias[j];
                magnitude += std::fabs(bias[j]);
            }
            if (old_c != nullptr) {
                exact += old_c[i * ldc + j];
                magnitude += std::fabs(old_c[i * ldc + j]);
            }
            if (relu && exact < 0.0) {
                exact = 0.0;
            }
            const double tolerance = (k + 2) * static_cast<double>(FLT_EPSILON) * magnitude;
            const double got = c[i * ldc + j];
            if (std::fabs(got - exact) > tolerance && failures++ < 5) {
                ADD_FAILURE() << label << ": C(" << i << ", " << j << ") = " << got
                              << ", expected " << exact << " within " << tolerance;
            }
        }
    }
    EXPECT_EQ(failures, 0) << label << ": elements outside the tolerance";
}

class GemmLevelTest : public ::testing::TestWithParam<SimdLevel> {
protected:
    void SetUp() override
    {
        if (!simd_level_supported(GetParam())) {
            GTEST_SKIP() << simd_level_name(GetParam()) << " is not supported by this CPU";
        }
    }
};

std::string level_param_name(const ::testing::TestParamInfo<SimdLevel> &info)
{
    return simd_level_name(info.param);
}

// Layout of an operand: row-major, or row-major storage of its transpose.
enum class Layout { kRowMajor, kTransposed };

struct GemmCase {
    int m;
    int n;
    int k;
    Layout a_layout;
    Layout b_layout;
    int padding;      // extra floats at the end of each stored row
    int offset;       // floats between an aligned allocation and the data
    bool accumulate;
    bool with_bias;
    bool relu;
};

std::string describe(const GemmCase &test_case)
{
    return std::to_string(test_case.m) + "x" + std::to_string(test_case.k) + "·" +
           std::to_string(test_case.k) + "x" + std::to_string(test_case.n) +
           (test_case.a_layout == Layout::kTransposed ? " A^T" : "") +
           (test_case.b_layout == Layout::kTransposed ? " B^T" : "") + " pad " +
           std::to_string(test_case.padding) + " offset " + std::to_string(test_case.offset) +
           (test_case.accumulate ? " accumulate" : "") + (test_case.with_bias ? " bias" : "") +
           (test_case.relu ? " relu" : "");
}

// A (rows, cols) operand stored in `layout` with padded rows, starting
// `offset` floats into its buffer.
struct Operand {
    std::vector<float> storage;
    Strided view;
};

Operand make_operand(int rows, int cols, Layout layout, int padding, int offset, Rng *rng)
{
    const int stored_rows = layout == Layout::kRowMajor ? rows : cols;
    const int stored_cols = layout == Layout::kRowMajor ? cols : rows;
    const ptrdiff_t ld = stored_cols + padding;
    Operand operand;
    operand.storage = random_values(static_cast<size_t>(offset + stored_rows * ld), rng);
    const float *data = operand.storage.data() + offset;
    operand.view = layout == Layout::kRowMajor ? Strided{data, ld, 1} : Strided{data, 1, ld};
    return operand;
}

void run_gemm_case(SimdLevel level, const GemmCase &test_case)
{
    Rng rng;
    rng_seed(&rng, 1234);
    const int m = test_case.m;
    const int n = test_case.n;
    const int k = test_case.k;

    Operand a = make_operand(m, k, test_case.a_layout, test_case.padding, test_case.offset, &rng);
    Operand b = make_operand(k, n, test_case.b_layout, test_case.padding, test_case.offset, &rng);
    std::vector<float> bias = random_values(static_cast<size_t>(n), &rng);

    const ptrdiff_t ldc = n + test_case.padding;
    std::vector<float> c_storage = random_values(static_cast<size_t>(test_case.offset + m * ldc), &rng);
    float *c = c_storage.data() + test_case.offset;
    const std::vector<float> old_c(c, c + m * ldc);

    GemmEpilogue epilogue = {test_case.accumulate ? 1 : 0,
                             test_case.with_bias ? bias.data() : nullptr,
                             test_case.relu ? 1 : 0};
    gemm(level, m, n, k, MatrixView{a.view.data, a.view.row_stride, a.view.col_stride},
         MatrixView{b.view.data, b.view.row_stride, b.view.col_stride}, c, ldc, epilogue);

    expect_product(describe(test_case), c, ldc, test_case.accumulate ? old_c.data() : nullptr,
                   a.view, b.view, test_case.with_bias ? bias.data() : nullptr,
                   test_case.relu, m, n, k);

    // The padding between rows of C must stay untouched.
    for (int i = 0; i < m; i++) {
        for (int j = n; j < ldc; j++) {
            ASSERT_EQ(c[i * ldc + j], old_c[i * ldc + j])
                << describe(test_case) << ": padding of C changed at (" << i << ", " << j << ")";
        }
    }
}

TEST_P(GemmLevelTest, AwkwardShapesAllLayouts)
{
    const Layout layouts[] = {Layout::kRowMajor, Layout::kTransposed};
    // Sizes around the tile widths (4, 6, 10 rows; 16, 32 columns) and the
    // cache blocks (k blocks of 256, row blocks of 128 to 250). The last
    // ones exercise the dot-product form for at most 12 columns, which
    // takes rows in pairs, 16 k steps per vector and 12 columns per block.
    const int shapes[][3] = {
        {1, 1, 1},    {1, 37, 5},   {37, 1, 5},   {1, 1, 300},  {13, 31, 17},
        {10, 32, 16}, {11, 33, 257}, {29, 65, 3}, {253, 47, 513}, {7, 1030, 9},
        {6, 16, 1},   {130, 17, 256}, {251, 10, 1025}, {3, 12, 17}, {5, 7, 16},
        {2, 13, 40},
    };
    for (const auto &shape : shapes) {
        for (Layout a_layout : layouts) {
            for (Layout b_layout : layouts) {
                GemmCase test_case = {shape[0], shape[1], shape[2], a_layout, b_layout,
                                      3, 1, false, false, false};
                run_gemm_case(GetParam(), test_case);
            }
        }
    }
}

TEST_P(GemmLevelTest, EpilogueVariants)
{
    // 70 columns take the blocked kernels; 10 the dot-product form.
    for (int n : {70, 10}) {
        for (int variant = 0; variant < 8; variant++) {
            GemmCase test_case = {45, n, 300, Layout::kRowMajor, Layout::kTransposed, 0, 0,
                                  (variant & 1) != 0, (variant & 2) != 0, (variant & 4) != 0};
            run_gemm_case(GetParam(), test_case);
        }
    }
}

TEST_P(GemmLevelTest, ZeroDepthAppliesEpilogue)
{
    GemmCase test_case = {5, 9, 0, Layout::kRowMajor, Layout::kRowMajor, 0, 0, true, true, true};
    run_gemm_case(GetParam(), test_case);
}

// One linear layer's three products on the given shape, each against the
// double-precision reference.
void check_linear_products(SimdLevel level, int batch, int in_features, int out_features)
{
    const std::string shape = std::to_string(batch) + "x" + std::to_string(in_features) +
                              "->" + std::to_string(out_features);
    Rng rng;
    rng_seed(&rng, 99);
    std::vector<float> in = random_values(static_cast<size_t>(batch) * in_features, &rng);
    std::vector<float> weight = random_values(static_cast<size_t>(out_features) * in_features, &rng);
    std::vector<float> bias = random_values(static_cast<size_t>(out_features), &rng);
    std::vector<float> dout = random_values(static_cast<size_t>(batch) * out_features, &rng);

    std::vector<float> out(static_cast<size_t>(batch) * out_features, NAN);
    linear_forward_kernel(level, out.data(), in.data(), weight.data(), bias.data(), batch,
                          in_features, out_features, 0);
    expect_product(shape + " forward", out.data(), out_features, nullptr,
                   Strided{in.data(), in_features, 1}, Strided{weight.data(), 1, in_features},
                   bias.data(), false, batch, out_features, in_features);

    linear_forward_kernel(level, out.data(), in.data(), weight.data(), bias.data(), batch,
                          in_features, out_features, 1);
    expect_product(shape + " forward with ReLU", out.data(), out_features, nullptr,
                   Strided{in.data(), in_features, 1}, Strided{weight.data(), 1, in_features},
                   bias.data(), true, batch, out_features, in_features);

    std::vector<float> din(static_cast<size_t>(batch) * in_features, NAN);
    linear_backward_data_kernel(level, din.data(), dout.data(), weight.data(), batch,
                                in_features, out_features);
    expect_product(shape + " backward data", din.data(), in_features, nullptr,
                   Strided{dout.data(), out_features, 1}, Strided{weight.data(), in_features, 1},
                   nullptr, false, batch, in_features, out_features);

    std::vector<float> dweight = random_values(weight.size(), &rng);
    const std::vector<float> old_dweight = dweight;
    std::vector<float> dbias = random_values(bias.size(), &rng);
    const std::vector<float> old_dbias = dbias;
    linear_backward_weights_kernel(level, dweight.data(), dbias.data(), dout.data(), in.data(),
                                   batch, in_features, out_features);
    expect_product(shape + " backward weights", dweight.data(), in_features,
                   old_dweight.data(), Strided{dout.data(), 1, out_features},
                   Strided{in.data(), in_features, 1}, nullptr, false, out_features,
                   in_features, batch);

    for (int o = 0; o < out_features; o++) {
        double exact = old_dbias[o];
        double magnitude = std::fabs(exact);
        for (int n = 0; n < batch; n++) {
            exact += dout[static_cast<size_t>(n) * out_features + o];
            magnitude += std::fabs(dout[static_cast<size_t>(n) * out_features + o]);
        }
        ASSERT_NEAR(dbias[o], exact, (batch + 1) * FLT_EPSILON * magnitude)
            << shape << " bias gradient " << o;
    }
}

TEST_P(GemmLevelTest, LinearMlpShapes)
{
    check_linear_products(GetParam(), 250, 3072, 1024);
    check_linear_products(GetParam(), 250, 1024, 10);
    check_linear_products(GetParam(), 250, 784, 1024);
}

TEST_P(GemmLevelTest, LinearLnetShapes)
{
    check_linear_products(GetParam(), 250, 1024, 256);
    check_linear_products(GetParam(), 250, 784, 256);
    check_linear_products(GetParam(), 250, 256, 10);
}

TEST_P(GemmLevelTest, LinearBatchOneAndSingleFeature)
{
    check_linear_products(GetParam(), 1, 3072, 1024);
    check_linear_products(GetParam(), 1, 1, 1);
    check_linear_products(GetParam(), 3, 1, 17);
    check_linear_products(GetParam(), 3, 17, 1);
}

INSTANTIATE_TEST_SUITE_P(Levels, GemmLevelTest,
                         ::testing::Values(SIMD_SCALAR, SIMD_AVX2, SIMD_AVX512),
                         level_param_name);

TEST(SimdDispatch, LevelNamesRoundTrip)
{
    for (int i = 0; i < SIMD_LEVEL_COUNT; i++) {
        SimdLevel parsed;
        ASSERT_EQ(simd_parse_level(simd_level_name(static_cast<SimdLevel>(i)), &parsed), 0);
        EXPECT_EQ(parsed, static_cast<SimdLevel>(i));
    }
    SimdLevel unused;
    EXPECT_EQ(simd_parse_level("sse9", &unused), -1);
}

TEST(SimdDispatch, ActiveLevelIsSupported)
{
    EXPECT_TRUE(simd_level_supported(SIMD_SCALAR));
    EXPECT_TRUE(simd_level_supported(simd_active_level()));
    EXPECT_LE(simd_active_level(), simd_detect_level());
}

}  // namespace
