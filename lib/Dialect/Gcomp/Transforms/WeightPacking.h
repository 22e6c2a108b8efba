//===- WeightPacking.h - weights in the runtime GEMM's layout ---*- C++ -*-===//
//
// The runtime's packed-B GEMM and conv kernels read B, a [k, n] f32 matrix,
// in slices of GCOMP_SGEMM_KC rows, each a row of GCOMP_SGEMM_PANEL-wide
// column panels, zero past n (model_abi.h). Constant weights are packed so
// at compile time, once, instead of on every call.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_WEIGHTPACKING_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_WEIGHTPACKING_H

#include "gcomp/model_abi.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <algorithm>
#include <optional>
#include <cstdint>
#include <vector>

namespace gcomp {

/// Floats the packed form of a [k, n] matrix takes.
inline int64_t packedGemmSize(int64_t k, int64_t n) {
  const int64_t panel = GCOMP_SGEMM_PANEL;
  return k * ((n + panel - 1) / panel * panel);
}

/// Packs B[p, j] = b[p * kStride + j * nStride], p < k, j < n.
inline std::vector<float> packGemmB(const float *b, int64_t k, int64_t n,
                                    int64_t kStride, int64_t nStride) {
  const int64_t panel = GCOMP_SGEMM_PANEL, kcMax = GCOMP_SGEMM_KC;
  int64_t width = (n + panel - 1) / panel * panel;
  std::vector<float> out(packedGemmSize(k, n), 0.0f);
  for (int64_t p = 0; p < k; ++p) {
    int64_t pc = p / kcMax * kcMax, kc = std::min(kcMax, k - pc);
    float *row = out.data() + pc * width + (p - pc) * panel;
    const float *src = b + p * kStride;
    for (int64_t j = 0; j < n; ++j)
      row[j / panel * kc * panel + j % panel] = src[j * nStride];
  }
  return out;
}

} // namespace gcomp

#endif
