//===- PoolTest.cpp - the pooling kernel against a plain loop nest --------===//

#include "gcomp/model_abi.h"
#include "internal.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace {

struct PoolCase {
  const char *name;
  int64_t n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int64_t extraH, extraW; // what ceil mode adds past the declared pads
  int64_t flags;
};

void PrintTo(const PoolCase &p, std::ostream *os) { *os << p.name; }

class PoolTest : public ::testing::TestWithParam<PoolCase> {};

// The reference pads explicitly (with -inf or zeros) and divides by a
// count computed the same way, as the linalg lowering does.
TEST_P(PoolTest, MatchesReference) {
  PoolCase p = GetParam();
  bool average = p.flags & GCOMP_POOL_AVERAGE;
  bool includePad = p.flags & GCOMP_POOL_COUNT_INCLUDE_PAD;
  int64_t ph = p.h + p.pt + p.pb + p.extraH, pw = p.w + p.pl + p.pr + p.extraW;
  int64_t oh = (ph - (p.kh - 1) * p.dh - 1) / p.sh + 1;
  int64_t ow = (pw - (p.kw - 1) * p.dw - 1) / p.sw + 1;
  std::vector<float> in(p.n * p.h * p.w * p.c), out(p.n * oh * ow * p.c, 7.f);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float &x : in)
    x = dist(rng);
  __gcomp_pool2d_nhwc(p.n, p.h, p.w, p.c, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw,
                      p.pt, p.pl, p.pb, p.pr, oh, ow, in.data(), out.data(),
                      p.flags);
  for (int64_t b = 0; b < p.n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        for (int64_t ch = 0; ch < p.c; ++ch) {
          double acc = average ? 0.0 : -std::numeric_limits<double>::infinity();
          int64_t count = 0;
          for (int64_t ky = 0; ky < p.kh; ++ky)
            for (int64_t kx = 0; kx < p.kw; ++kx) {
              int64_t iy = y * p.sh + ky * p.dh - p.pt;
              int64_t ix = x * p.sw + kx * p.dw - p.pl;
              bool inside = iy >= 0 && iy < p.h && ix >= 0 && ix < p.w;
              bool inPads = iy >= -p.pt && iy < p.h + p.pb && ix >= -p.pl &&
                            ix < p.w + p.pr;
              if (inside || (includePad && inPads))
                ++count;
              if (!inside)
                continue;
              float v = in[((b * p.h + iy) * p.w + ix) * p.c + ch];
              acc = average ? acc + v : std::max<double>(acc, v);
            }
          if (average)
            acc /= count;
          float got = out[((b * oh + y) * ow + x) * p.c + ch];
          ASSERT_NEAR(got, acc, 1e-5) << "at " << b << "," << y << "," << x
                                      << "," << ch;
        }
}

constexpr int64_t kAvg = GCOMP_POOL_AVERAGE;
constexpr int64_t kAvgPad = GCOMP_POOL_AVERAGE | GCOMP_POOL_COUNT_INCLUDE_PAD;

INSTANTIATE_TEST_SUITE_P(
    Windows, PoolTest,
    ::testing::Values(
        // ResNet's stem pool: 3x3 stride 2 pad 1.
        PoolCase{"max3x3s2p1", 1, 12, 12, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0},
        PoolCase{"max2x2s2", 2, 8, 6, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0},
        PoolCase{"maxDilated", 1, 11, 9, 3, 3, 2, 1, 2, 2, 3, 1, 0, 2, 1, 0, 0, 0},
        PoolCase{"maxCeil", 1, 7, 7, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 0},
        PoolCase{"avgNoPad", 1, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, kAvg},
        PoolCase{"avgIncludePad", 2, 9, 7, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, kAvgPad},
        PoolCase{"avgCeilIncludePad", 1, 6, 6, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, kAvgPad},
        // Global pools: one output row, the channels split across threads.
        PoolCase{"globalAvg", 2, 7, 7, 2048, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, kAvg},
        PoolCase{"globalMax", 1, 5, 3, 100, 5, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(PoolTest, NaNPropagatesThroughMax) {
  std::vector<float> in = {1.f, NAN, 3.f, 2.f}, out(1);
  __gcomp_pool2d_nhwc(1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1,
                      in.data(), out.data(), 0);
  EXPECT_TRUE(std::isnan(out[0]));
}

} // namespace
