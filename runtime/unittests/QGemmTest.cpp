//===- QGemmTest.cpp - __gcomp_qgemm_u8s8 against a triple loop ----------===//

#include "gcomp/model_abi.h"
#include "internal.h"

#include "QGemmPacking.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <random>
#include <vector>

namespace {

using gcomp::testing::packQGemmOperand;

struct Shape {
  int64_t m, n, k;
  bool signedA;
  int32_t zero;
  bool portable;
};

class QGemmTest : public ::testing::TestWithParam<Shape> {};

// Sizes straddle the 6-row tiles (32-row blocks with AMX), the 32-column
// blocks (and their 16-column halves), k % 4 (the last partial step) and
// the threading threshold; A's
// rows are padded (a_rs > k) and C's (c_rs > n), whose padding must stay
// untouched.
TEST_P(QGemmTest, MatchesReference) {
  Shape s = GetParam();
  gcomp_rt_qgemm_force_portable(s.portable);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255), weight(-128, 127);
  int64_t aRs = s.k + 3, cRs = s.n + 5;
  std::vector<uint8_t> a(s.m * aRs);
  for (uint8_t &v : a)
    v = static_cast<uint8_t>(byte(rng));
  std::vector<int8_t> b(s.k * s.n);
  for (int8_t &v : b)
    v = static_cast<int8_t>(weight(rng));
  std::vector<int32_t> sums((s.n + 31) / 32 * 32, 0);
  for (int64_t p = 0; p < s.k; ++p)
    for (int64_t j = 0; j < s.n; ++j)
      sums[j] += b[p * s.n + j];
  std::vector<int8_t> packed = packQGemmOperand(b, s.k, s.n);
  std::vector<int32_t> c(s.m * cRs, 12345);
  __gcomp_qgemm_u8s8(s.m, s.n, s.k, a.data(), aRs, &s.zero, packed.data(),
                     sums.data(), c.data(), cRs,
                     s.signedA ? GCOMP_QGEMM_A_SIGNED : 0);
  gcomp_rt_qgemm_force_portable(0);
  for (int64_t r = 0; r < s.m; ++r) {
    for (int64_t j = 0; j < s.n; ++j) {
      int64_t want = 0;
      for (int64_t p = 0; p < s.k; ++p) {
        int32_t x = s.signedA ? static_cast<int8_t>(a[r * aRs + p])
                              : a[r * aRs + p];
        want += static_cast<int64_t>(x - s.zero) * b[p * s.n + j];
      }
      ASSERT_EQ(c[r * cRs + j], want) << "row " << r << ", column " << j;
    }
    for (int64_t j = s.n; j < cRs; ++j)
      ASSERT_EQ(c[r * cRs + j], 12345) << "padding of row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, QGemmTest,
    ::testing::Values(Shape{1, 1, 1, false, 0, false},
                      Shape{7, 33, 5, false, 128, false},
                      Shape{6, 16, 4, true, -3, false},
                      Shape{13, 64, 64, false, 17, false},
                      Shape{128, 100, 771, false, 131, false},
                      Shape{128, 100, 771, true, 5, false},
                      Shape{40, 768, 257, false, 255, false},
                      // AMX where the CPU has it: whole 32-row blocks
                      // when k is a multiple of 64, the rest by VNNI.
                      Shape{64, 100, 128, false, 3, false},
                      Shape{96, 33, 192, true, -9, false},
                      Shape{70, 64, 64, false, 255, false},
                      Shape{7, 33, 5, false, 128, true},
                      Shape{13, 47, 66, true, -7, true}));

} // namespace
