//===- QConvTest.cpp - __gcomp_qconv2d_nhwc against a direct loop nest ----===//

#include "gcomp/model_abi.h"
#include "internal.h"

#include "QGemmPacking.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

using gcomp::testing::packQGemmOperand;

struct Shape {
  int64_t n, h, w, c, kh, kw, stride, dilation, pad, m;
  bool padK64;      // k_packed rounded up to a multiple of 64 (AMX)
  bool signedInput; // int8 activations
  int32_t zero;
  int64_t kind;     // GCOMP_QCONV_OUT_*
  bool relu, signedOutput, portable;
};

class QConvTest : public ::testing::TestWithParam<Shape> {};

// Shapes cover 1x1 convolutions read in place (stride 1, no padding) and
// gathered (stride 2), 3x3 and 7x7 windows with padding and dilation, a
// batch, rows that straddle the 96-row blocks and columns the 32-column
// blocks and 256-column groups, k with and without AMX's multiple of 64,
// and every epilogue.
TEST_P(QConvTest, MatchesReference) {
  Shape s = GetParam();
  gcomp_rt_qgemm_force_portable(s.portable);
  int64_t oh = (s.h + 2 * s.pad - s.dilation * (s.kh - 1) - 1) / s.stride + 1;
  int64_t ow = (s.w + 2 * s.pad - s.dilation * (s.kw - 1) - 1) / s.stride + 1;
  int64_t k = s.kh * s.kw * s.c;
  int64_t kp = s.padK64 ? (k + 63) / 64 * 64 : k;
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255), weight(-128, 127);
  std::vector<uint8_t> in(s.n * s.h * s.w * s.c);
  for (uint8_t &v : in)
    v = static_cast<uint8_t>(byte(rng));
  std::vector<int8_t> b(kp * s.m, 0);
  for (int64_t i = 0; i < k * s.m; ++i)
    b[i] = static_cast<int8_t>(weight(rng));
  std::vector<int32_t> sums((s.m + 31) / 32 * 32, 0);
  for (int64_t p = 0; p < kp; ++p)
    for (int64_t j = 0; j < s.m; ++j)
      sums[j] += b[p * s.m + j];
  std::vector<int8_t> packed = packQGemmOperand(b, kp, s.m);
  std::vector<float> scale(s.m), bias(s.m);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  for (int64_t j = 0; j < s.m; ++j) {
    // acc is about sqrt(k) * 74 * 74: y lands around +-2, requantized
    // mostly inside the byte range with some saturation.
    scale[j] = (1.5f + unit(rng)) / (std::sqrt(static_cast<float>(k)) * 3000.0f);
    bias[j] = 0.5f * unit(rng);
  }
  float outScale = 0.02f, outZero = s.signedOutput ? -3.0f : 100.0f;
  uint32_t sb, zb;
  std::memcpy(&sb, &outScale, 4);
  std::memcpy(&zb, &outZero, 4);
  int64_t requant = static_cast<int64_t>((uint64_t)zb << 32 | sb);
  int64_t flags = s.kind | (s.signedInput ? GCOMP_QCONV_INPUT_SIGNED : 0) |
                  (s.relu ? GCOMP_QCONV_RELU : 0) |
                  (s.signedOutput ? GCOMP_QCONV_OUT_SIGNED : 0);
  int64_t outElems = s.n * oh * ow * s.m;
  std::vector<int32_t> out(outElems + 16, 0x5a5a5a5a);
  __gcomp_qconv2d_nhwc(s.n, s.h, s.w, s.c, s.kh, s.kw, s.stride, s.stride,
                       s.dilation, s.dilation, s.pad, s.pad, oh, ow, s.m, kp,
                       in.data(), &s.zero, packed.data(), sums.data(),
                       scale.data(), s.kind == GCOMP_QCONV_OUT_I32 ? nullptr
                                                                   : bias.data(),
                       requant, out.data(), flags);
  gcomp_rt_qgemm_force_portable(0);
  size_t elemBytes = s.kind == GCOMP_QCONV_OUT_Q8 ? 1 : 4;
  const auto *bytes = reinterpret_cast<const uint8_t *>(out.data());
  for (size_t i = outElems * elemBytes; i < out.size() * 4; ++i)
    ASSERT_EQ(bytes[i], 0x5a) << "written past the output";
  int64_t inRange = 0;
  for (int64_t bi = 0; bi < s.n; ++bi)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        for (int64_t o = 0; o < s.m; ++o) {
          int64_t acc = 0;
          for (int64_t ky = 0; ky < s.kh; ++ky)
            for (int64_t kx = 0; kx < s.kw; ++kx)
              for (int64_t ch = 0; ch < s.c; ++ch) {
                int64_t iy = y * s.stride - s.pad + ky * s.dilation;
                int64_t ix = x * s.stride - s.pad + kx * s.dilation;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                  continue;
                uint8_t raw = in[((bi * s.h + iy) * s.w + ix) * s.c + ch];
                int32_t v = s.signedInput ? static_cast<int8_t>(raw) : raw;
                acc += static_cast<int64_t>(v - s.zero) *
                       b[((ky * s.kw + kx) * s.c + ch) * s.m + o];
              }
          int64_t at = ((bi * oh + y) * ow + x) * s.m + o;
          if (s.kind == GCOMP_QCONV_OUT_I32) {
            ASSERT_EQ(out[at], acc) << "element " << at;
            continue;
          }
          float f = static_cast<float>(static_cast<int32_t>(acc));
          f = f * scale[o];
          f = f + bias[o];
          if (s.relu && f < 0.0f)
            f = 0.0f;
          if (s.kind == GCOMP_QCONV_OUT_F32) {
            float got;
            std::memcpy(&got, &out[at], 4);
            ASSERT_EQ(got, f) << "element " << at;
            continue;
          }
          float q = std::nearbyint(f / outScale) + outZero;
          q = std::fmin(std::fmax(q, s.signedOutput ? -128.0f : 0.0f),
                        s.signedOutput ? 127.0f : 255.0f);
          int32_t want = static_cast<int32_t>(q);
          inRange += q > -128.0f && q < 255.0f && q != 127.0f;
          int32_t got = s.signedOutput ? static_cast<int8_t>(bytes[at])
                                       : bytes[at];
          ASSERT_EQ(got, want) << "element " << at;
        }
  if (s.kind == GCOMP_QCONV_OUT_Q8) // not a test of saturation alone
    EXPECT_GT(inRange, outElems / 2);
}

constexpr int64_t I32 = GCOMP_QCONV_OUT_I32, F32 = GCOMP_QCONV_OUT_F32,
                  Q8 = GCOMP_QCONV_OUT_Q8;

// Where the im2col buffer cannot be allocated, the kernel works from a
// small fixed buffer a few rows at a time, or (a window too big even for
// that) with a direct loop: the same bytes either way.
TEST(QConvFallbackTest, SameResultWithoutTheBuffer) {
  const int64_t n = 1, h = 9, w = 11, c = 40, kh = 3, kw = 3, m = 70;
  const int64_t oh = h, ow = w, k = kh * kw * c, kp = (k + 63) / 64 * 64;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> byte(0, 255), weight(-128, 127);
  std::vector<uint8_t> in(n * h * w * c);
  for (uint8_t &v : in)
    v = static_cast<uint8_t>(byte(rng));
  std::vector<int8_t> b(kp * m, 0);
  for (int64_t i = 0; i < k * m; ++i)
    b[i] = static_cast<int8_t>(weight(rng));
  std::vector<int32_t> sums((m + 31) / 32 * 32, 0);
  for (int64_t p = 0; p < kp; ++p)
    for (int64_t j = 0; j < m; ++j)
      sums[j] += b[p * m + j];
  std::vector<int8_t> packed = packQGemmOperand(b, kp, m);
  int32_t zero = 9;
  auto run = [&](int mode) {
    gcomp_rt_qconv_force_fallback(mode);
    std::vector<int32_t> out(n * oh * ow * m);
    __gcomp_qconv2d_nhwc(n, h, w, c, kh, kw, 1, 1, 1, 1, 1, 1, oh, ow, m, kp,
                         in.data(), &zero, packed.data(), sums.data(),
                         nullptr, nullptr, 0, out.data(), GCOMP_QCONV_OUT_I32);
    gcomp_rt_qconv_force_fallback(0);
    return out;
  };
  std::vector<int32_t> want = run(0);
  EXPECT_EQ(run(1), want) << "the fixed buffer";
  EXPECT_EQ(run(2), want) << "the direct loop";
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, QConvTest,
    ::testing::Values(
        // n h w c kh kw stride dil pad m padK64 sIn zero kind relu sOut port
        Shape{1, 10, 10, 64, 1, 1, 1, 1, 0, 40, false, false, 7, I32, false, false, false},
        Shape{2, 9, 11, 64, 1, 1, 2, 1, 0, 70, false, false, 128, I32, false, false, false},
        Shape{1, 12, 12, 64, 3, 3, 1, 1, 1, 64, false, false, 3, Q8, false, false, false},
        Shape{1, 12, 12, 64, 3, 3, 2, 1, 1, 300, false, true, -5, F32, true, false, false},
        Shape{2, 15, 13, 3, 7, 7, 2, 1, 3, 33, true, false, 120, Q8, false, true, false},
        Shape{2, 15, 13, 3, 7, 7, 2, 1, 3, 33, false, false, 120, F32, false, false, false},
        Shape{1, 14, 14, 8, 3, 3, 1, 2, 2, 17, false, false, 0, Q8, true, false, false},
        Shape{1, 20, 20, 128, 1, 1, 1, 1, 0, 520, false, false, 255, Q8, false, false, false},
        Shape{1, 12, 12, 64, 3, 3, 1, 1, 1, 64, false, false, 3, Q8, false, false, true},
        Shape{1, 9, 7, 5, 3, 3, 2, 1, 1, 19, false, true, 2, F32, true, false, true}));

} // namespace
