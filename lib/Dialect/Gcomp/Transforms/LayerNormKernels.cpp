//===- LayerNormKernels.cpp - layer norms as one runtime kernel -----------===//
//
// A transformer has two layer norms per layer; lowered through linalg each
// is about nine kernels and as many passes over the activations. The
// runtime's row kernel makes it one pass per row while the row is in
// cache. Its scale and bias are read as plain rows of the normalized size,
// which is what every exporter writes; other shapes keep the linalg form.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPLAYERNORMKERNELS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

struct LayerNormKernelsPass
    : gcomp::impl::GcompLayerNormKernelsBase<LayerNormKernelsPass> {
  void runOnOperation() override {
    getOperation().walk([](LayerNormOp layerNorm) {
      RankedTensorType type = layerNorm.getType();
      auto axis = static_cast<int64_t>(layerNorm.getAxis());
      // Symbolic leading dims are rows; the normalized dims are static.
      bool staticRows = llvm::none_of(
          type.getShape().drop_front(axis), ShapedType::isDynamic);
      if (staticRows && type.getElementType().isF32() &&
          isLayerNormRowParameter(layerNorm.getScale(), type, axis) &&
          isLayerNormRowParameter(layerNorm.getBias(), type, axis))
        layerNorm.setRuntimeKernel(true);
    });
  }
};

} // namespace
