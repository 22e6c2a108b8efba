//===- NBitsTest.cpp - __gcomp_matmul_nbits against a reference -----------===//
//
// Block-quantized products on exactly sized buffers (so that the sanitized
// build sees any read past the codes, scales or rows): both kernel paths
// (a few rows, many rows), 4 and 8 bits, blocks of 16 (an odd number of
// them) to 128, K not a multiple of the block size, zero points absent or
// given, a bias.
//
//===----------------------------------------------------------------------===//

#include "internal.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

namespace {

struct NBitsCase {
  int64_t m, n, k, bits, blockSize;
  bool zeroPoints, bias;
};

class MatMulNBitsTest : public ::testing::TestWithParam<NBitsCase> {};

TEST_P(MatMulNBitsTest, MatchesReference) {
  NBitsCase c = GetParam();
  std::mt19937 rng(11);
  int64_t blocks = (c.k + c.blockSize - 1) / c.blockSize;
  int64_t columnBytes = blocks * c.blockSize * c.bits / 8;
  std::vector<uint8_t> w(c.n * columnBytes);
  for (uint8_t &b : w)
    b = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> unit(-1, 1), scale(0.01f, 0.05f);
  std::vector<float> a(c.m * c.k), s(c.n * blocks), z, bias, y(c.m * c.n);
  for (float &v : a)
    v = unit(rng);
  for (float &v : s)
    v = scale(rng);
  if (c.zeroPoints) {
    z.resize(c.n * blocks);
    for (float &v : z)
      v = static_cast<float>(rng() % (1u << c.bits));
  }
  if (c.bias) {
    bias.resize(c.n);
    for (float &v : bias)
      v = unit(rng);
  }
  __gcomp_matmul_nbits(c.m, c.n, c.k, a.data(), w.data(), s.data(),
                       c.zeroPoints ? z.data() : nullptr,
                       c.bias ? bias.data() : nullptr, y.data(), c.bits,
                       c.blockSize);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      double sum = c.bias ? bias[j] : 0.0, magnitude = std::fabs(sum);
      for (int64_t p = 0; p < c.k; ++p) {
        int64_t b = p / c.blockSize;
        const uint8_t *column = w.data() + j * columnBytes;
        int code = c.bits == 8 ? column[p]
                               : (column[p / 2] >> (4 * (p % 2))) & 15;
        double zero = c.zeroPoints ? z[j * blocks + b] : (1 << (c.bits - 1));
        double term = a[i * c.k + p] * (code - zero) * s[j * blocks + b];
        sum += term;
        magnitude += std::fabs(term);
      }
      ASSERT_NEAR(y[i * c.n + j], sum, 1e-5 * magnitude + 1e-6)
          << "row " << i << ", column " << j;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatMulNBitsTest,
    ::testing::Values(
        // A few rows: the register kernel.
        NBitsCase{1, 40, 80, 4, 16, true, true},    // 5 blocks of 16
        NBitsCase{3, 33, 200, 4, 64, false, false}, // K padded in a block
        NBitsCase{5, 17, 128, 8, 32, true, false},  // 4 rows, then 1
        NBitsCase{1, 520, 1024, 4, 32, false, true}, // split among threads
        // Many rows: dequantized tiles and the GEMM.
        NBitsCase{9, 70, 80, 4, 16, true, false},
        NBitsCase{12, 300, 300, 8, 128, false, true},
        NBitsCase{64, 130, 512, 4, 32, true, true}));

} // namespace
