//===- DwConvTest.cpp - __gcomp_dwconv2d against a plain loop nest --------===//

#include "internal.h"

#include "gtest/gtest.h"

#include <random>
#include <vector>

namespace {

struct Window {
  int64_t kh, kw, sh, sw, dh, dw;
};

class DwConvTest : public ::testing::TestWithParam<Window> {};

// Two images of three channels (so weights repeat per image), padded planes
// of 9 x 11; the kernel accumulates into a non-zero output.
TEST_P(DwConvTest, MatchesReference) {
  Window k = GetParam();
  const int64_t n = 2, g = 3, h = 9, w = 11;
  int64_t oh = (h - (k.kh - 1) * k.dh - 1) / k.sh + 1;
  int64_t ow = (w - (k.kw - 1) * k.dw - 1) / k.sw + 1;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> in(n * g * h * w), wt(g * k.kh * k.kw),
      out(n * g * oh * ow);
  for (float &v : in)
    v = dist(rng);
  for (float &v : wt)
    v = dist(rng);
  for (float &v : out)
    v = dist(rng);
  std::vector<float> ref(out);
  for (int64_t c = 0; c < n * g; ++c)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        for (int64_t i = 0; i < k.kh; ++i)
          for (int64_t j = 0; j < k.kw; ++j)
            ref[(c * oh + y) * ow + x] +=
                wt[((c % g) * k.kh + i) * k.kw + j] *
                in[(c * h + y * k.sh + i * k.dh) * w + x * k.sw + j * k.dw];
  __gcomp_dwconv2d(n * g, g, h, w, k.kh, k.kw, k.sh, k.sw, k.dh, k.dw, oh, ow,
                   in.data(), wt.data(), out.data());
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], ref[i], 1e-5f) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(Windows, DwConvTest,
                         ::testing::Values(Window{3, 3, 1, 1, 1, 1},
                                           Window{3, 3, 2, 2, 1, 1},
                                           Window{5, 5, 1, 2, 1, 1},
                                           Window{3, 2, 1, 1, 2, 3},
                                           Window{1, 1, 1, 1, 1, 1}));

} // namespace
