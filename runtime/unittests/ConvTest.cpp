//===- ConvTest.cpp - __gcomp_conv2d_nhwc against a plain loop nest -------===//

#include "gcomp/model_abi.h"
#include "internal.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

struct ConvCase {
  int64_t n, h, w, c, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  bool bias, accumulate, relu;
  bool clamp = false; // to [-0.25, 0.5], instead of relu
  bool nchw = false;  // the input passed channels-first
  bool gelu = false;  // instead of relu and clamp
  bool silu = false;  // instead of the others
};

int64_t clampBits(float lo, float hi) {
  uint32_t l, h;
  std::memcpy(&l, &lo, sizeof l);
  std::memcpy(&h, &hi, sizeof h);
  return static_cast<int64_t>(l | static_cast<uint64_t>(h) << 32);
}

class ConvNhwcTest : public ::testing::TestWithParam<ConvCase> {};

// Random input, weight, bias and (when accumulating) residual; the kernel's
// output against a loop nest over the definition in model_abi.h.
TEST_P(ConvNhwcTest, MatchesReference) {
  ConvCase k = GetParam();
  int64_t oh = (k.h + k.pt + k.pb - (k.kh - 1) * k.dh - 1) / k.sh + 1;
  int64_t ow = (k.w + k.pl + k.pr - (k.kw - 1) * k.dw - 1) / k.sw + 1;
  int64_t depth = k.kh * k.kw * k.c;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> in(k.n * k.h * k.w * k.c), wt(depth * k.m), bias(k.m),
      out(k.n * oh * ow * k.m);
  for (std::vector<float> *v : {&in, &wt, &bias, &out})
    for (float &x : *v)
      x = dist(rng);

  // The weight packed as GCOMP_SYM_SGEMM_PACKED_B documents it.
  const int64_t panel = GCOMP_SGEMM_PANEL, kcMax = GCOMP_SGEMM_KC;
  int64_t width = (k.m + panel - 1) / panel * panel;
  float *packed = static_cast<float *>(
      std::aligned_alloc(64, sizeof(float) * depth * width + 64));
  std::fill(packed, packed + depth * width, 0.0f);
  for (int64_t p = 0; p < depth; ++p) {
    int64_t pc = p / kcMax * kcMax, kc = std::min(kcMax, depth - pc);
    for (int64_t j = 0; j < k.m; ++j)
      packed[pc * width + j / panel * kc * panel + (p - pc) * panel +
             j % panel] = wt[p * k.m + j];
  }

  std::vector<float> ref(out.size());
  for (int64_t b = 0; b < k.n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        for (int64_t o = 0; o < k.m; ++o) {
          int64_t at = ((b * oh + y) * ow + x) * k.m + o;
          double sum = (k.bias ? bias[o] : 0.0) + (k.accumulate ? out[at] : 0.0);
          for (int64_t i = 0; i < k.kh; ++i)
            for (int64_t j = 0; j < k.kw; ++j) {
              int64_t iy = y * k.sh + i * k.dh - k.pt,
                      ix = x * k.sw + j * k.dw - k.pl;
              if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w)
                continue;
              for (int64_t ch = 0; ch < k.c; ++ch)
                sum += double(in[((b * k.h + iy) * k.w + ix) * k.c + ch]) *
                       wt[((i * k.kw + j) * k.c + ch) * k.m + o];
            }
          if (k.relu && sum < 0)
            sum = 0;
          if (k.clamp)
            sum = std::min(std::max(sum, -0.25), 0.5);
          if (k.gelu)
            sum = 0.5 * sum * (1 + std::erf(sum / std::sqrt(2.0)));
          if (k.silu)
            sum = sum / (1 + std::exp(-sum));
          ref[at] = float(sum);
        }

  // The same input channels-first, for GCOMP_CONV_INPUT_NCHW.
  std::vector<float> inNchw(in.size());
  for (int64_t b = 0; b < k.n; ++b)
    for (int64_t y = 0; y < k.h; ++y)
      for (int64_t x = 0; x < k.w; ++x)
        for (int64_t ch = 0; ch < k.c; ++ch)
          inNchw[((b * k.c + ch) * k.h + y) * k.w + x] =
              in[((b * k.h + y) * k.w + x) * k.c + ch];
  __gcomp_conv2d_nhwc(k.n, k.h, k.w, k.c, k.kh, k.kw, k.sh, k.sw, k.dh, k.dw,
                      k.pt, k.pl, oh, ow, k.m,
                      k.nchw ? inNchw.data() : in.data(), packed,
                      k.bias ? bias.data() : nullptr, out.data(),
                      (k.accumulate ? GCOMP_CONV_ACCUMULATE : 0) |
                          (k.relu ? GCOMP_CONV_RELU : 0) |
                          (k.clamp ? GCOMP_CONV_CLAMP : 0) |
                          (k.nchw ? GCOMP_CONV_INPUT_NCHW : 0) |
                          (k.gelu ? GCOMP_CONV_GELU : 0) |
                          (k.silu ? GCOMP_CONV_SILU : 0),
                      clampBits(-0.25f, 0.5f));
  std::free(packed);
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], ref[i], 2e-5f * (1 + std::abs(ref[i])))
        << "element " << i;
}

// Padding on every side and asymmetric, strides and dilations, channel
// counts that cut the kernel rows into chunks (3: a stem conv; 300: past a
// 256-deep slice), output channels short of a panel or of a tile, pixel
// counts past the 96-row block and short of a tile, batch 2, each part of
// the epilogue on and off. Large enough cases run on the thread pool.
INSTANTIATE_TEST_SUITE_P(
    Convs, ConvNhwcTest,
    ::testing::Values(
        ConvCase{1, 9, 9, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, false, true},
        ConvCase{2, 7, 10, 8, 24, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, false, true, true},
        ConvCase{1, 12, 12, 3, 20, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, true, false, false},
        ConvCase{1, 6, 8, 300, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, true, false},
        ConvCase{2, 5, 6, 12, 7, 3, 2, 1, 2, 2, 1, 2, 0, 1, 2, false, false, false},
        ConvCase{1, 14, 14, 64, 130, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, true, true},
        ConvCase{1, 28, 28, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, false, true},
        ConvCase{1, 3, 3, 520, 600, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, false, true},
        ConvCase{1, 4, 4, 5, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, true, true, true},
        // Pads wider than the kernel: windows wholly in the padding.
        ConvCase{1, 3, 4, 6, 9, 2, 2, 1, 1, 1, 1, 3, 3, 2, 3, true, true, false},
        // Clip (ReLU6-like) on full tiles and on a partial panel.
        ConvCase{1, 9, 9, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, false, false, true},
        ConvCase{2, 5, 6, 12, 7, 3, 2, 1, 2, 2, 1, 2, 0, 1, 2, false, true, false, true},
        // Channels-first input: a stem conv (threaded), past a 256-deep
        // slice, dilated and asymmetric with a batch of 2.
        ConvCase{1, 40, 40, 3, 64, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, true, false, true, false, true},
        ConvCase{1, 6, 8, 300, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, true, false, false, true},
        ConvCase{2, 5, 6, 12, 7, 3, 2, 1, 2, 2, 1, 2, 0, 1, 2, false, true, false, true, true},
        // GELU (a transformer's first MLP projection as 1x1 rows), on full
        // and partial tiles, past a slice, with a residual.
        ConvCase{1, 1, 50, 300, 70, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, false, false, false, false, true},
        ConvCase{1, 9, 9, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, true, false, false, false, true},
        // SiLU (EfficientNet's expansion 1x1 convs and its stem): a
        // 1x1 conv into 144 channels (tiles of 64 and a partial one, read
        // in place and packed), and a strided 3x3 stem from channels-first
        // input, past a slice.
        ConvCase{1, 14, 14, 24, 144, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, false, false, false, false, false, true},
        ConvCase{1, 7, 9, 300, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, true, false, false, false, false, true},
        ConvCase{1, 20, 20, 3, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, false, false, false, true, false, true}));

} // namespace
