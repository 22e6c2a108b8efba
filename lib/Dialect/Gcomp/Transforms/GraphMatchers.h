//===- GraphMatchers.h - small matchers the graph passes share --*- C++ -*-===//
#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GRAPHMATCHERS_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GRAPHMATCHERS_H

#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include <optional>

namespace gcomp {

/// The only user of `v`, if it has exactly one use.
inline mlir::Operation *soleUser(mlir::Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

/// The value of a splat f32 gcomp.constant, if `v` is one.
inline std::optional<float> splatF32(mlir::Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  auto dense = constant
                   ? mlir::dyn_cast<mlir::DenseElementsAttr>(constant.getValue())
                   : mlir::DenseElementsAttr();
  if (!dense || !dense.isSplat() || !dense.getElementType().isF32())
    return std::nullopt;
  return dense.getSplatValue<float>();
}

} // namespace gcomp

#endif
