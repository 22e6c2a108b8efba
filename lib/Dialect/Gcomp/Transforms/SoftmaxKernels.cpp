//===- SoftmaxKernels.cpp - softmax as one runtime kernel -----------------===//
//
// Lowered through linalg a softmax is eight kernels: a max and a sum
// reduction with their initializations, the exponentials, the division.
// The runtime's row softmax reads each row three times while it stays in
// cache. Attention scores arrive scaled (QK^T / sqrt(d), a Div or Mul by a
// positive constant right before the softmax): the scale is applied inside
// the kernel instead of as a pass of its own.
//
//===----------------------------------------------------------------------===//

#include "GraphMatchers.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPSOFTMAXKERNELS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// x * c or x / c right before `softmax`, with c a positive constant:
/// softmax's input becomes x and its scale c (or 1 / c).
void absorbScale(SoftmaxOp softmax) {
  Operation *def = softmax.getInput().getDefiningOp();
  if (!def || !softmax.getInput().hasOneUse() ||
      def->getResult(0).getType() != softmax.getType())
    return;
  Value x;
  std::optional<float> c;
  bool divide = false;
  if (auto mul = dyn_cast<MulOp>(def)) {
    if ((c = splatF32(mul.getRhs())))
      x = mul.getLhs();
    else if ((c = splatF32(mul.getLhs())))
      x = mul.getRhs();
  } else if (auto div = dyn_cast<DivOp>(def)) {
    c = splatF32(div.getRhs());
    x = div.getLhs();
    divide = true;
  }
  if (!x || !c || x.getType() != softmax.getType() || !(*c > 0.0f) ||
      !std::isfinite(*c))
    return;
  float scale = softmax.getScale().convertToFloat() * (divide ? 1.0f / *c : *c);
  if (!(scale > 0.0f) || !std::isfinite(scale))
    return;
  softmax.setScaleAttr(FloatAttr::get(Float32Type::get(softmax.getContext()),
                                      scale));
  softmax.getInputMutable().assign(x);
  def->erase();
}

struct SoftmaxKernelsPass
    : gcomp::impl::GcompSoftmaxKernelsBase<SoftmaxKernelsPass> {
  void runOnOperation() override {
    getOperation().walk([](SoftmaxOp softmax) {
      RankedTensorType type = softmax.getType();
      // Symbolic leading dims are rows; the row itself is static.
      if (type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1) ||
          !type.getElementType().isF32() ||
          static_cast<int64_t>(softmax.getAxis()) != type.getRank() - 1)
        return;
      absorbScale(softmax);
      softmax.setRuntimeKernel(true);
    });
  }
};

} // namespace
