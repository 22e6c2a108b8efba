//===- RecognizeOps.cpp - exporters' decompositions as single ops ---------===//
//
// Exporters often write an activation out as its formula: PyTorch's GELU
// arrives as Div, Erf, Add, Mul, Mul. As five elementwise ops it is a
// fusion group at best; as one gcomp.gelu it can become a GEMM's
// epilogue (gcomp-fuse-conv). This pass matches such decompositions and
// puts the single op in their place.
//
//===----------------------------------------------------------------------===//

#include "GraphMatchers.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include <cmath>

namespace gcomp {
#define GEN_PASS_DEF_GCOMPRECOGNIZEOPS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// Whether `v` is a splat f32 constant within 1e-6 (relative) of `value`.
bool isSplat(Value v, double value) {
  std::optional<float> splat = splatF32(v);
  return splat && std::abs(*splat - value) <= 1e-6 * std::abs(value);
}

/// The only user of `v`, if it is one op of type OpT.
template <typename OpT> OpT soleUser(Value v) {
  return dyn_cast_or_null<OpT>(gcomp::soleUser(v));
}

/// The operand of a binary op that is not `v`.
template <typename OpT> Value other(OpT op, Value v) {
  return op.getLhs() == v ? op.getRhs() : op.getLhs();
}

/// 0.5 * x * (1 + erf(x / sqrt(2))) around `erf`, in the association orders
/// exporters write: ((x * s) * 0.5), ((s * 0.5) * x) or ((x * 0.5) * s),
/// where s = 1 + erf(x / sqrt(2)) and x / sqrt(2) may be x * (1 / sqrt(2)).
/// Replaces the product with gcomp.gelu(x).
void recognizeGelu(ErfOp erf) {
  Value x;
  Operation *scaled = erf.getInput().getDefiningOp();
  if (auto div = dyn_cast_or_null<DivOp>(scaled)) {
    if (isSplat(div.getRhs(), std::sqrt(2.0)))
      x = div.getLhs();
  } else if (auto mul = dyn_cast_or_null<MulOp>(scaled)) {
    if (isSplat(mul.getRhs(), 1 / std::sqrt(2.0)))
      x = mul.getLhs();
    else if (isSplat(mul.getLhs(), 1 / std::sqrt(2.0)))
      x = mul.getRhs();
  }
  auto type = dyn_cast<RankedTensorType>(erf.getType());
  if (!x || x.getType() != type || !erf.getInput().hasOneUse())
    return;
  auto add = soleUser<AddOp>(erf.getResult());
  if (!add || !isSplat(other(add, erf.getResult()), 1.0) ||
      add.getType() != type)
    return;
  auto m1 = soleUser<MulOp>(add.getResult());
  if (!m1 || m1.getType() != type)
    return;
  Value f1 = other(m1, add.getResult());
  SmallVector<Operation *> chain = {scaled, erf, add, m1};
  Operation *result = nullptr;
  if (f1 == x || isSplat(f1, 0.5)) {
    // ((x * s) * 0.5) or ((s * 0.5) * x).
    auto m2 = soleUser<MulOp>(m1.getResult());
    if (m2 && m2.getType() == type &&
        (f1 == x ? isSplat(other(m2, m1.getResult()), 0.5)
                 : other(m2, m1.getResult()) == x)) {
      chain.push_back(m2);
      result = m2;
    }
  } else if (auto half = f1.getDefiningOp<MulOp>()) {
    // ((x * 0.5) * s): the half is removed only when nothing else uses it.
    if (other(half, x) != x && (half.getLhs() == x || half.getRhs() == x) &&
        isSplat(other(half, x), 0.5))
      result = m1;
  }
  if (!result)
    return;
  OpBuilder b(result);
  SmallVector<Location> locs;
  for (Operation *op : chain)
    locs.push_back(op->getLoc());
  auto gelu = GeluOp::create(b, b.getFusedLoc(locs), type, x);
  result->getResult(0).replaceAllUsesWith(gelu.getResult());
  for (Operation *op : llvm::reverse(chain))
    if (op->use_empty())
      op->erase();
  if (Operation *half = result == m1.getOperation() ? f1.getDefiningOp()
                                                    : nullptr;
      half && half->use_empty())
    half->erase();
}

struct RecognizeOpsPass
    : gcomp::impl::GcompRecognizeOpsBase<RecognizeOpsPass> {
  void runOnOperation() override {
    SmallVector<ErfOp> erfs;
    getOperation().walk([&](ErfOp erf) { erfs.push_back(erf); });
    for (ErfOp erf : erfs)
      recognizeGelu(erf);
  }
};

} // namespace
