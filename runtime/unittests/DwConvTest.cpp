//===- DwConvTest.cpp - the depthwise kernels against plain loop nests ----===//

#include "gcomp/model_abi.h"
#include "internal.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

/// Uniform values in [-1, 1) from `seed`, vector after vector.
void fillRandom(unsigned seed, std::initializer_list<std::vector<float> *> vs) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::vector<float> *v : vs)
    for (float &x : *v)
      x = dist(rng);
}

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
  std::vector<float> in(n * g * h * w), wt(g * k.kh * k.kw),
      out(n * g * oh * ow);
  fillRandom(7, {&in, &wt, &out});
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

struct PaddedWindow {
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, c;
};

class DwConvNhwcTest : public ::testing::TestWithParam<PaddedWindow> {};

// Channels-last: two 7 x 10 images, implicit zero padding (asymmetric),
// channel counts below, at and past the kernel's block of 64.
TEST_P(DwConvNhwcTest, MatchesReference) {
  PaddedWindow k = GetParam();
  const int64_t n = 2, h = 7, w = 10, c = k.c;
  int64_t oh = (h + k.pt + k.pb - (k.kh - 1) * k.dh - 1) / k.sh + 1;
  int64_t ow = (w + k.pl + k.pr - (k.kw - 1) * k.dw - 1) / k.sw + 1;
  std::vector<float> in(n * h * w * c), wt(k.kh * k.kw * c), out(n * oh * ow * c);
  fillRandom(9, {&in, &wt, &out});
  std::vector<float> ref(out);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        for (int64_t i = 0; i < k.kh; ++i)
          for (int64_t j = 0; j < k.kw; ++j) {
            int64_t iy = y * k.sh + i * k.dh - k.pt, ix = x * k.sw + j * k.dw - k.pl;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
              continue;
            for (int64_t ch = 0; ch < c; ++ch)
              ref[((b * oh + y) * ow + x) * c + ch] +=
                  wt[(i * k.kw + j) * c + ch] * in[((b * h + iy) * w + ix) * c + ch];
          }
  __gcomp_dwconv2d_nhwc(n, h, w, c, k.kh, k.kw, k.sh, k.sw, k.dh, k.dw, k.pt,
                        k.pl, oh, ow, in.data(), wt.data(), out.data());
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], ref[i], 1e-5f) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Windows, DwConvNhwcTest,
    ::testing::Values(PaddedWindow{3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},
                      PaddedWindow{3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 24},
                      PaddedWindow{5, 5, 1, 2, 1, 1, 2, 2, 2, 2, 72},
                      PaddedWindow{3, 2, 1, 1, 2, 3, 2, 0, 1, 3, 5},
                      PaddedWindow{1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 130}));

} // namespace

namespace {

// __gcomp_dwconv2d_nhwc_fused: the epilogue of each flag on a padded,
// strided window over 72 channels (a block of 64 and a masked rest), two
// images; the reference is the plain kernel's sum plus the epilogue.
struct Epilogue {
  bool bias, accumulate;
  int64_t act; // 0, GCOMP_CONV_RELU, _CLAMP, _GELU or _SILU
};

class DwConvFusedTest : public ::testing::TestWithParam<Epilogue> {};

TEST_P(DwConvFusedTest, MatchesReference) {
  Epilogue e = GetParam();
  const int64_t n = 2, h = 9, w = 8, c = 72, kh = 3, kw = 3, s = 2, p = 1;
  const int64_t oh = (h + 2 * p - kh) / s + 1, ow = (w + 2 * p - kw) / s + 1;
  std::vector<float> in(n * h * w * c), wt(kh * kw * c), bias(c),
      out(n * oh * ow * c);
  fillRandom(5, {&in, &wt, &bias, &out});
  for (float &v : in)
    v *= 4; // values past the clamp's bounds and SiLU's bend
  std::vector<float> ref(e.accumulate ? out : std::vector<float>(out.size()));
  __gcomp_dwconv2d_nhwc(n, h, w, c, kh, kw, s, s, 1, 1, p, p, oh, ow,
                        in.data(), wt.data(), ref.data());
  const float lo = -0.5f, hi = 0.75f;
  for (size_t i = 0; i < ref.size(); ++i) {
    double v = ref[i] + (e.bias ? bias[i % c] : 0.0f);
    if (e.act == GCOMP_CONV_RELU)
      v = std::max(v, 0.0);
    else if (e.act == GCOMP_CONV_CLAMP)
      v = std::min(std::max(v, double(lo)), double(hi));
    else if (e.act == GCOMP_CONV_GELU)
      v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    else if (e.act == GCOMP_CONV_SILU)
      v = v / (1 + std::exp(-v));
    ref[i] = float(v);
  }
  uint32_t loBits, hiBits;
  std::memcpy(&loBits, &lo, 4);
  std::memcpy(&hiBits, &hi, 4);
  __gcomp_dwconv2d_nhwc_fused(
      n, h, w, c, kh, kw, s, s, 1, 1, p, p, oh, ow, c, in.data(), wt.data(),
      e.bias ? bias.data() : nullptr, out.data(),
      (e.accumulate ? GCOMP_CONV_ACCUMULATE : 0) | e.act,
      static_cast<int64_t>(loBits | uint64_t(hiBits) << 32));
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], ref[i], 2e-5f * (1 + std::abs(ref[i])))
        << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Epilogues, DwConvFusedTest,
    ::testing::Values(Epilogue{false, false, 0}, Epilogue{true, false, 0},
                      Epilogue{false, true, 0},
                      Epilogue{true, false, GCOMP_CONV_RELU},
                      Epilogue{true, false, GCOMP_CONV_CLAMP},
                      Epilogue{true, true, GCOMP_CONV_GELU},
                      Epilogue{true, false, GCOMP_CONV_SILU}));

} // namespace
