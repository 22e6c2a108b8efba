//===- QGemmPacking.h - the int8 weight layout, for the tests --*- C++ -*-===//
//
// B packed as model_abi.h describes GCOMP_SYM_QGEMM's operand, written from
// the description, independently of the compiler's packer (QGemmTest and
// QConvTest).
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_RUNTIME_UNITTESTS_QGEMMPACKING_H
#define GCOMP_RUNTIME_UNITTESTS_QGEMMPACKING_H

#include <cstdint>
#include <vector>

namespace gcomp::testing {

/// The [k, n] row-major int8 matrix `b` in qgemm's blocked VNNI layout.
inline std::vector<int8_t> packQGemmOperand(const std::vector<int8_t> &b,
                                            int64_t k, int64_t n) {
  int64_t k4 = (k + 3) / 4, blocks = (n + 31) / 32;
  std::vector<int8_t> out(blocks * k4 * 128, 0);
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j)
      out[(j / 32) * k4 * 128 + (p / 4) * 128 + ((j % 32) / 16) * 64 +
          (j % 16) * 4 + p % 4] = b[p * n + j];
  return out;
}

} // namespace gcomp::testing

#endif // GCOMP_RUNTIME_UNITTESTS_QGEMMPACKING_H
