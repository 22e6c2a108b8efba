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

/// Calls `fn` on every gcomp.conv, gcomp.matmul and gcomp.gemm under
/// `root`, in order, collected first so that `fn` may replace them: the
/// anchors of the passes that rewrite a contraction and what follows it.
template <typename Fn> void forEachContraction(mlir::Operation *root, Fn fn) {
  llvm::SmallVector<mlir::Operation *> anchors;
  root->walk([&](mlir::Operation *op) {
    if (mlir::isa<ConvOp, MatMulOp, GemmOp>(op))
      anchors.push_back(op);
  });
  for (mlir::Operation *op : anchors) {
    if (auto conv = mlir::dyn_cast<ConvOp>(op))
      fn(conv);
    else if (auto matmul = mlir::dyn_cast<MatMulOp>(op))
      fn(matmul);
    else
      fn(mlir::cast<GemmOp>(op));
  }
}

} // namespace gcomp

#endif
