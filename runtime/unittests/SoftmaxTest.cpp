//===- SoftmaxTest.cpp - the row softmax and vmath.h against libm ---------===//

#include "internal.h"
#include "vmath.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

int64_t scaleBits(float s) {
  uint32_t bits;
  std::memcpy(&bits, &s, sizeof bits);
  return bits;
}

std::vector<double> reference(const std::vector<float> &x, int64_t n,
                              double scale) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r * n < x.size(); ++r) {
    double m = -std::numeric_limits<double>::infinity(), sum = 0;
    for (int64_t i = 0; i < n; ++i)
      m = std::max<double>(m, x[r * n + i]);
    for (int64_t i = 0; i < n; ++i)
      sum += y[r * n + i] = std::exp(scale * (x[r * n + i] - m));
    for (int64_t i = 0; i < n; ++i)
      y[r * n + i] /= sum;
  }
  return y;
}

struct SoftmaxCase {
  int64_t rows, n;
  float scale, spread;
};

class SoftmaxRowsTest : public ::testing::TestWithParam<SoftmaxCase> {};

// Row lengths around the vector width and an attention row (128), many
// rows (the thread pool), a scale (BERT's 1/8), wide value ranges.
TEST_P(SoftmaxRowsTest, MatchesReference) {
  SoftmaxCase c = GetParam();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-c.spread, c.spread);
  std::vector<float> x(c.rows * c.n), y(x.size());
  for (float &v : x)
    v = dist(rng);
  __gcomp_softmax_rows(c.rows, c.n, x.data(), y.data(), scaleBits(c.scale));
  std::vector<double> ref = reference(x, c.n, c.scale);
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y[i], ref[i], 1e-6 + 2e-6 * ref[i]) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Rows, SoftmaxRowsTest,
    ::testing::Values(SoftmaxCase{1, 1, 1.0f, 1.0f},
                      SoftmaxCase{3, 7, 1.0f, 3.0f},
                      SoftmaxCase{5, 17, 0.125f, 20.0f},
                      SoftmaxCase{2, 1000, 1.0f, 10.0f},
                      SoftmaxCase{12 * 128, 128, 0.125f, 8.0f},
                      SoftmaxCase{4, 64, 2.0f, 40.0f}));

TEST(SoftmaxRowsTest, MaskedEntriesAndInPlace) {
  // -inf entries (an attention mask) get 0; the rest sum to 1; in place.
  std::vector<float> x = {1.0f, -INFINITY, 2.0f, -INFINITY, 0.5f, 0.5f};
  __gcomp_softmax_rows(2, 3, x.data(), x.data(), scaleBits(1.0f));
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_NEAR(x[0] + x[2], 1.0f, 1e-6);
  EXPECT_NEAR(x[2], 1 / (1 + std::exp(-1.0)), 1e-6);
  EXPECT_EQ(x[3], 0.0f);
  EXPECT_NEAR(x[4], 0.5f, 1e-6);
}

TEST(SoftmaxRowsTest, NaNRow) {
  std::vector<float> x = {1.0f, NAN, 2.0f, 0.0f, 0.0f, 0.0f}, y(6);
  __gcomp_softmax_rows(2, 3, x.data(), y.data(), scaleBits(1.0f));
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]) && std::isnan(y[2]));
  EXPECT_NEAR(y[3], 1.0f / 3, 1e-6);
}

TEST(VmathTest, ExpAndErfAgainstLibm) {
  double worstExp = 0, worstErf = 0, worstErfRel = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.001953125f) {
    double want = std::exp(double(x));
    worstExp = std::max(worstExp, std::abs(gcomp_exp(x) - want) / want);
  }
  for (float x = -6.0f; x <= 6.0f; x += 0.0009765625f)
    worstErf = std::max(worstErf, std::abs(gcomp_erf(x) - std::erf(double(x))));
  for (float x = 1e-6f; x < 0.5f; x *= 1.01f)
    worstErfRel = std::max(worstErfRel, std::abs(gcomp_erf(x) - std::erf(double(x))) /
                                            std::erf(double(x)));
  EXPECT_LT(worstExp, 3e-7);
  EXPECT_LT(worstErf, 4e-7);
  EXPECT_LT(worstErfRel, 2e-7);
  EXPECT_EQ(gcomp_exp(-INFINITY), 0.0f);
  EXPECT_EQ(gcomp_exp(-100.0f), 0.0f);
  EXPECT_TRUE(std::isnan(gcomp_exp(NAN)));
  EXPECT_TRUE(std::isnan(gcomp_gelu(NAN)));
  EXPECT_EQ(gcomp_erf(INFINITY), 1.0f);
  EXPECT_EQ(gcomp_erf(-INFINITY), -1.0f);
  EXPECT_NEAR(gcomp_gelu(1.0f), 0.8413447460685429, 2e-7);
}

} // namespace
