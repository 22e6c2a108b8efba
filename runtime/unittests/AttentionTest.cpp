//===- AttentionTest.cpp - __gcomp_attention against a double reference ---===//

#include "gcomp/model_abi.h"
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

struct Case {
  int64_t batch, heads, s, t, d, dv;
  bool causal;
  bool paddingMask = false; // [batch, 1, 1, t], 0 or -10000
};

/// Q, K, V and O laid out as a fused projection leaves them: [batch, rows,
/// heads, dim], each head a strided view; Kt reads K transposed.
void runCase(const Case &c) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-2, 2);
  auto filled = [&](size_t n) {
    std::vector<float> v(n);
    for (float &x : v)
      x = dist(rng);
    return v;
  };
  std::vector<float> q = filled(c.batch * c.s * c.heads * c.d);
  std::vector<float> k = filled(c.batch * c.t * c.heads * c.d);
  std::vector<float> v = filled(c.batch * c.t * c.heads * c.dv);
  std::vector<float> out(c.batch * c.s * c.heads * c.dv, 123.0f);
  std::vector<float> mask(c.batch * c.t, 0.0f);
  for (size_t i = 0; i < mask.size(); ++i)
    mask[i] = i % 3 == 2 ? -10000.0f : 0.0f;
  float scale = 1.0f / std::sqrt(static_cast<float>(c.d));

  int64_t hd = c.heads * c.d, hdv = c.heads * c.dv;
  __gcomp_attention(c.batch, c.heads, c.s, c.t, c.d, c.dv,
                    q.data(), c.s * hd, c.d, hd, 1,
                    k.data(), c.t * hd, c.d, 1, hd,
                    v.data(), c.t * hdv, c.dv, hdv, 1,
                    out.data(), c.s * hdv, c.dv, hdv, 1,
                    c.paddingMask ? mask.data() : nullptr, c.t, 0, 0, 1,
                    floatBits(scale),
                    c.causal ? GCOMP_ATTENTION_CAUSAL : 0);

  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.s; ++i) {
        int64_t visible = c.causal ? std::min(c.t, i + 1 + c.t - c.s) : c.t;
        std::vector<double> p(c.t, 0.0);
        double m = -INFINITY, sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < c.d; ++e)
            dot += double(q[(b * c.s + i) * hd + h * c.d + e]) *
                   k[(b * c.t + j) * hd + h * c.d + e];
          p[j] = scale * dot + (c.paddingMask ? mask[b * c.t + j] : 0.0);
          m = std::max(m, p[j]);
        }
        for (int64_t j = 0; j < visible; ++j)
          sum += p[j] = std::exp(p[j] - m);
        for (int64_t e = 0; e < c.dv; ++e) {
          double want = 0;
          for (int64_t j = 0; j < visible; ++j)
            want += p[j] / sum * v[(b * c.t + j) * hdv + h * c.dv + e];
          float got = out[(b * c.s + i) * hdv + h * c.dv + e];
          ASSERT_NEAR(got, want, 1e-5 + 1e-4 * std::fabs(want))
              << "batch " << b << " head " << h << " row " << i << " col "
              << e;
        }
      }
}

TEST(AttentionTest, Encoder) { runCase({2, 3, 40, 40, 16, 16, false}); }
TEST(AttentionTest, Causal) { runCase({1, 2, 70, 70, 24, 24, true}); }
// More keys than queries (a prompt continued): row r sees keys up to
// r + t - s.
TEST(AttentionTest, CausalWithPastKeys) { runCase({1, 2, 9, 45, 8, 8, true}); }
TEST(AttentionTest, OddSizes) { runCase({1, 1, 37, 45, 13, 7, false}); }
// Several blocks of query rows, the last one partial.
TEST(AttentionTest, ManyRows) { runCase({1, 2, 300, 150, 16, 16, false}); }
TEST(AttentionTest, ManyCausalRows) { runCase({1, 1, 100, 100, 8, 8, true}); }
TEST(AttentionTest, PaddingMask) {
  runCase({2, 3, 20, 20, 8, 8, false, /*paddingMask=*/true});
}
TEST(AttentionTest, SingleQuery) { runCase({1, 4, 1, 33, 64, 64, true}); }

} // namespace
