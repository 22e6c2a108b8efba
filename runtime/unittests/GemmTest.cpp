//===- GemmTest.cpp - __gcomp_sgemm(_packed_b) against a triple loop ------===//

#include "gcomp/model_abi.h"
#include "internal.h"

#include "gtest/gtest.h"

#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

struct Shape {
  int64_t m, n, k, batch;
  bool transA, transB;
  bool transC = false; // C stored column-major: strided columns
};

class GemmTest : public ::testing::TestWithParam<Shape> {};

// Sizes straddle the micro-tiles (6 x 16; 6 x 64 with AVX-512, which cuts
// the columns into tiles of one to four 16-wide panels) and the cache blocks (KC = 256,
// MC = 96, NC = 2048) and take the unpacked path for fewer than 4 rows;
// transposes exercise the strided packing and every small-m branch; C starts
// non-zero because the GEMM accumulates.
TEST_P(GemmTest, MatchesReference) {
  Shape s = GetParam();
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto filled = [&](size_t n) {
    std::vector<float> v(n);
    for (float &x : v)
      x = dist(rng);
    return v;
  };
  std::vector<float> a = filled(s.batch * s.m * s.k),
                     b = filled(s.batch * s.k * s.n),
                     c = filled(s.batch * s.m * s.n);
  // Row-major storage of A (m x k) or of its transpose (k x m), etc.
  int64_t aRs = s.transA ? 1 : s.k, aCs = s.transA ? s.m : 1;
  int64_t bRs = s.transB ? 1 : s.n, bCs = s.transB ? s.k : 1;
  int64_t cRs = s.transC ? 1 : s.n, cCs = s.transC ? s.m : 1;
  std::vector<double> ref(c.begin(), c.end());
  for (int64_t i = 0; i < s.batch; ++i)
    for (int64_t r = 0; r < s.m; ++r)
      for (int64_t j = 0; j < s.n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < s.k; ++p)
          sum += double(a[i * s.m * s.k + r * aRs + p * aCs]) *
                 b[i * s.k * s.n + p * bRs + j * bCs];
        ref[i * s.m * s.n + r * cRs + j * cCs] += sum;
      }
  // B packed as GCOMP_SYM_SGEMM_PACKED_B documents it: slices of KC rows,
  // each of panels of 16 columns, zero past n, in 64-byte aligned memory.
  const int64_t panel = GCOMP_SGEMM_PANEL, kcMax = GCOMP_SGEMM_KC;
  int64_t width = (s.n + panel - 1) / panel * panel, packedSize = width * s.k;
  float *packed = static_cast<float *>(
      std::aligned_alloc(64, sizeof(float) * s.batch * packedSize + 64));
  for (int64_t i = 0; i < s.batch; ++i)
    for (int64_t p = 0; p < s.k; ++p)
      for (int64_t j = 0; j < width; ++j) {
        int64_t pc = p / kcMax * kcMax, kc = std::min(kcMax, s.k - pc);
        packed[i * packedSize + pc * width + j / panel * kc * panel +
               (p - pc) * panel + j % panel] =
            j < s.n ? b[i * s.k * s.n + p * bRs + j * bCs] : 0.0f;
      }
  std::vector<float> cPacked(c);
  __gcomp_sgemm(s.m, s.n, s.k, a.data(), aRs, aCs, b.data(), bRs, bCs,
                c.data(), cRs, cCs, s.batch, s.m * s.k, s.k * s.n, s.m * s.n);
  __gcomp_sgemm_packed_b(s.m, s.n, s.k, a.data(), aRs, aCs, packed,
                         cPacked.data(), cRs, cCs, s.batch, s.m * s.k,
                         packedSize, s.m * s.n);
  std::free(packed);
  double tol = 1e-5 * std::sqrt(double(s.k)) + 1e-6;
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_NEAR(c[i], ref[i], tol * (1 + std::fabs(ref[i]))) << "element " << i;
    ASSERT_NEAR(cPacked[i], ref[i], tol * (1 + std::fabs(ref[i])))
        << "packed B, element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GemmTest,
    ::testing::Values(Shape{1, 1, 1, 1, false, false},
                      Shape{6, 16, 8, 1, false, false},
                      Shape{7, 17, 5, 1, false, false},
                      Shape{13, 33, 300, 2, false, true},
                      Shape{100, 40, 257, 1, true, false},
                      Shape{97, 2050, 3, 1, false, false},
                      Shape{64, 64, 64, 3, true, true},
                      Shape{1, 1000, 1280, 1, false, true},
                      Shape{2, 300, 70, 2, false, false},
                      Shape{3, 50, 40, 1, true, true},
                      // Exactly two and three panels, and four plus a
                      // partial one, with A read in place (n <= 64).
                      Shape{20, 32, 30, 1, false, false},
                      Shape{11, 48, 270, 1, false, false},
                      Shape{9, 80, 19, 1, false, false},
                      // Strided C columns (C transposed) through the
                      // tiles' scalar stores.
                      Shape{30, 200, 40, 2, true, false, true},
                      Shape{7, 37, 300, 1, false, true, true}));

TEST(Gemm, EmptyDimsDoNothing) {
  float c[4] = {1, 2, 3, 4};
  __gcomp_sgemm(2, 2, 0, nullptr, 0, 1, nullptr, 2, 1, c, 2, 1, 1, 0, 0, 0);
  EXPECT_EQ(c[0], 1);
  EXPECT_EQ(c[3], 4);
}

TEST(Gemm, BroadcastBatchWithZeroStride) {
  // One A for two batches (stride 0): both Cs get the same product.
  float a[2] = {1, 2}, b[4] = {3, 4, 5, 6}, c[2] = {0, 0};
  __gcomp_sgemm(1, 1, 2, a, 2, 1, b, 1, 1, c, 1, 1, 2, 0, 2, 1);
  EXPECT_FLOAT_EQ(c[0], 1 * 3 + 2 * 4);
  EXPECT_FLOAT_EQ(c[1], 1 * 5 + 2 * 6);
}

} // namespace
