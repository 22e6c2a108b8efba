//===- LayerNormTest.cpp - the row layer norm against a double reference --===//

#include "internal.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace {

int64_t floatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

std::vector<double> reference(const std::vector<float> &x, int64_t n,
                              const float *scale, const float *bias,
                              double eps) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r * n < x.size(); ++r) {
    const float *row = &x[r * n];
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; ++i)
      mean += row[i];
    mean /= n;
    for (int64_t i = 0; i < n; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= n;
    for (int64_t i = 0; i < n; ++i)
      y[r * n + i] = (row[i] - mean) / std::sqrt(var + eps) *
                         (scale ? scale[i] : 1.0) +
                     (bias ? bias[i] : 0.0);
  }
  return y;
}

struct LayerNormCase {
  int64_t rows, n;
  bool scale, bias;
  float offset; // added to every input: a large mean tests the two passes
};

class LayerNormRowsTest : public ::testing::TestWithParam<LayerNormCase> {};

// Row lengths around the 8-lane partial sums, BERT's 768 over many rows
// (the thread pool), each combination of scale and bias, and rows whose
// mean is large against their spread.
TEST_P(LayerNormRowsTest, MatchesReference) {
  LayerNormCase c = GetParam();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> x(c.rows * c.n), y(x.size()), scale(c.n), bias(c.n);
  for (float &v : x)
    v = dist(rng) + c.offset;
  for (int64_t i = 0; i < c.n; ++i) {
    scale[i] = dist(rng);
    bias[i] = dist(rng);
  }
  const float *s = c.scale ? scale.data() : nullptr;
  const float *b = c.bias ? bias.data() : nullptr;
  __gcomp_layer_norm_rows(c.rows, c.n, x.data(), y.data(), s, b,
                          floatBits(1e-5f));
  std::vector<double> want = reference(x, c.n, s, b, 1e-5);
  // Centring in f32 rounds the mean to a float: an error of up to half an
  // ulp of the offset (3e-5 at 1000) before the division by the deviation
  // (about 1.15 here) and the scale (at most 2).
  double centring = std::ldexp(1.0, std::ilogb(std::max(c.offset, 1.0f)) - 24) * 2;
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y[i], want[i], 1e-5 + centring + 1e-4 * std::abs(want[i]))
        << "at " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Rows, LayerNormRowsTest,
    ::testing::Values(LayerNormCase{1, 1, true, true, 0.0f},
                      LayerNormCase{3, 7, true, false, 0.0f},
                      LayerNormCase{5, 17, false, true, 0.0f},
                      LayerNormCase{4, 64, false, false, 0.0f},
                      LayerNormCase{128, 768, true, true, 0.0f},
                      LayerNormCase{9, 100, true, true, 1000.0f}));

TEST(LayerNormRowsTest, InPlaceAndConstantRow) {
  // A constant row has variance 0: the result is bias, not NaN (eps > 0).
  std::vector<float> x = {3, 3, 3, 3, 1, 2, 3, 4};
  std::vector<float> bias = {0.5f, -0.5f, 1, 2};
  __gcomp_layer_norm_rows(2, 4, x.data(), x.data(), nullptr, bias.data(),
                          floatBits(1e-5f));
  for (int i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(x[i], bias[i]);
  // (1..4 - 2.5) / sqrt(1.25 + 1e-5) + bias
  EXPECT_NEAR(x[4], -1.5 / std::sqrt(1.25 + 1e-5) + 0.5, 1e-6);
  EXPECT_NEAR(x[7], 1.5 / std::sqrt(1.25 + 1e-5) + 2, 1e-6);
}

TEST(LayerNormRowsTest, NaNStaysInItsRow) {
  std::vector<float> x = {1, NAN, 3, 1, 2, 3}, y(6);
  __gcomp_layer_norm_rows(2, 3, x.data(), y.data(), nullptr, nullptr,
                          floatBits(0.0f));
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(std::isnan(y[i]));
  EXPECT_NEAR(y[3], -std::sqrt(1.5), 1e-6);
  EXPECT_NEAR(y[4], 0.0, 1e-6);
}

} // namespace
