//===- RecognizeOps.cpp - exporters' decompositions as single ops ---------===//
//
// Exporters often write an activation out as its formula: PyTorch's GELU
// arrives as Div, Erf, Add, Mul, Mul. As five elementwise ops it is a
// fusion group at best; as one gcomp.gelu it can become a GEMM's
// epilogue (gcomp-fuse-conv). A layer norm written out (by exporters
// before opset 17, and by gcomp's own importer, which keeps ONNX
// LayerNormalization's optional outputs that way) is two reductions and
// seven elementwise ops; as one gcomp.layer_norm it is one pass over each
// row. This pass matches such decompositions and puts the single op in
// their place.
//
//===----------------------------------------------------------------------===//

#include "GraphMatchers.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/IR/Verifier.h"

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

/// Whether `op` reduces the trailing dims from some axis on, keeping them.
/// Returns that axis.
std::optional<int64_t> trailingMeanAxis(ReduceMeanOp op) {
  ArrayRef<int64_t> axes = op.getAxes();
  int64_t rank = op.getInput().getType().getRank();
  if (!op.getKeepdims() || axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// The layer norm around `mean`, the first reduction of
///   c = x - mean(x); v = mean(c * c) (or mean(c ^ 2));
///   n = c / sqrt(v + eps) (or c * reciprocal(sqrt(v + eps)));
///   y = n * scale + bias (each optional, either operand order)
/// over trailing dims, where every intermediate is used only inside it.
/// Replaces the last op with gcomp.layer_norm(x, scale, bias).
void recognizeLayerNorm(ReduceMeanOp mean) {
  Value x = mean.getInput();
  auto type = dyn_cast<RankedTensorType>(x.getType());
  std::optional<int64_t> axis = trailingMeanAxis(mean);
  if (!type || !axis || !isa<FloatType>(type.getElementType()) ||
      !mean.getResult().hasOneUse())
    return;
  auto centered = soleUser<SubOp>(mean.getResult());
  if (!centered || centered.getLhs() != x || centered.getType() != type)
    return;
  // c is used by the square (once or twice) and by the normalization.
  Operation *square = nullptr, *normalized = nullptr;
  for (Operation *user : centered->getUsers()) {
    bool isSquare = false;
    if (auto mul = dyn_cast<MulOp>(user))
      isSquare = mul.getLhs() == mul.getRhs();
    else if (auto pow = dyn_cast<PowOp>(user))
      isSquare = pow.getLhs() == centered.getResult() &&
                 isSplat(pow.getRhs(), 2.0);
    Operation *&slot = isSquare ? square : normalized;
    if (slot && slot != user)
      return;
    slot = user;
  }
  if (!square || !normalized || square->getResult(0).getType() != type)
    return;
  auto variance = soleUser<ReduceMeanOp>(square->getResult(0));
  if (!variance || variance.getAxes() != mean.getAxes() ||
      !variance.getKeepdims() || !variance.getResult().hasOneUse())
    return;
  auto plusEps = soleUser<AddOp>(variance.getResult());
  if (!plusEps || plusEps.getType() != variance.getType())
    return;
  std::optional<float> eps = splatF32(other(plusEps, variance.getResult()));
  if (!eps || !(*eps >= 0.0f))
    return;
  auto deviation = soleUser<SqrtOp>(plusEps.getResult());
  if (!deviation)
    return;
  SmallVector<Operation *> chain = {mean, centered, square, variance, plusEps,
                                    deviation};
  if (auto div = dyn_cast<DivOp>(normalized)) {
    if (div.getLhs() != centered.getResult() ||
        div.getRhs() != deviation.getResult())
      return;
  } else if (auto mul = dyn_cast<MulOp>(normalized)) {
    auto inverse = soleUser<ReciprocalOp>(deviation.getResult());
    if (!inverse || other(mul, centered.getResult()) != inverse.getResult() ||
        !inverse.getResult().hasOneUse())
      return;
    chain.push_back(inverse);
  } else {
    return;
  }
  if (normalized->getResult(0).getType() != type)
    return;
  chain.push_back(normalized);

  // The affine part: * scale, then + bias, each only if its operand
  // broadcasts within the input's shape and does not depend on the chain.
  Value result = normalized->getResult(0), scale, bias;
  auto affineOperand = [&](Operation *op) -> Value {
    if (!op || op->getResult(0).getType() != type)
      return {};
    Value operand = op->getOperand(0) == result ? op->getOperand(1)
                                                : op->getOperand(0);
    if (operand == result || operand == x)
      return {};
    return operand;
  };
  if (auto mul = soleUser<MulOp>(result); (scale = affineOperand(mul))) {
    chain.push_back(mul);
    result = mul.getResult();
  }
  if (auto add = soleUser<AddOp>(result); (bias = affineOperand(add))) {
    chain.push_back(add);
    result = add.getResult();
  }

  Operation *last = chain.back();
  OpBuilder b(last);
  SmallVector<Location> locs;
  for (Operation *op : chain)
    locs.push_back(op->getLoc());
  auto layerNorm = LayerNormOp::create(
      b, b.getFusedLoc(locs), type, x, scale, bias, b.getI64IntegerAttr(*axis),
      b.getF32FloatAttr(*eps), /*runtime_kernel=*/nullptr);
  if (failed(mlir::verify(layerNorm))) { // scale or bias of another shape
    layerNorm->erase();
    return;
  }
  result.replaceAllUsesWith(layerNorm.getResult());
  for (Operation *op : llvm::reverse(chain))
    op->erase();
}

struct RecognizeOpsPass
    : gcomp::impl::GcompRecognizeOpsBase<RecognizeOpsPass> {
  void runOnOperation() override {
    SmallVector<ErfOp> erfs;
    getOperation().walk([&](ErfOp erf) { erfs.push_back(erf); });
    for (ErfOp erf : erfs)
      recognizeGelu(erf);
    // The first reductions of layer norms, collected before any is erased.
    SmallVector<ReduceMeanOp> means;
    getOperation().walk([&](ReduceMeanOp mean) {
      if (soleUser<SubOp>(mean.getResult()))
        means.push_back(mean);
    });
    for (ReduceMeanOp mean : means)
      recognizeLayerNorm(mean);
  }
};

} // namespace
