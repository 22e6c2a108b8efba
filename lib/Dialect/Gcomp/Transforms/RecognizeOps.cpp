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

/// Given `activation` = erf(x / sqrt(2)) or the tanh term, computed by the
/// single-use ops `head`, matches 0.5 * x * (1 + activation) after it (see
/// recognizeGelu for the orders) and replaces it with gcomp.gelu(x).
void replaceGeluProduct(Operation *activation, Value x,
                        ArrayRef<Operation *> head, bool tanhForm) {
  auto type = dyn_cast<RankedTensorType>(activation->getResult(0).getType());
  Value act = activation->getResult(0);
  auto add = soleUser<AddOp>(act);
  if (!type || !add || !isSplat(other(add, act), 1.0) ||
      add.getType() != type)
    return;
  auto m1 = soleUser<MulOp>(add.getResult());
  if (!m1 || m1.getType() != type)
    return;
  Value f1 = other(m1, add.getResult());
  SmallVector<Operation *> chain(head.begin(), head.end());
  chain.append({activation, add, m1});
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
  auto gelu = GeluOp::create(b, b.getFusedLoc(locs), type, x,
                             b.getBoolAttr(tanhForm));
  result->getResult(0).replaceAllUsesWith(gelu.getResult());
  for (Operation *op : llvm::reverse(chain))
    if (op->use_empty())
      op->erase();
  if (Operation *half = result == m1.getOperation() ? f1.getDefiningOp()
                                                    : nullptr;
      half && half->use_empty())
    half->erase();
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
  if (!x || x.getType() != erf.getType() || !erf.getInput().hasOneUse())
    return;
  replaceGeluProduct(erf, x, {scaled}, /*tanhForm=*/false);
}

/// The operand of `op` (a binary op) that is a splat within 1e-6 of
/// `value`, and the other one; null values if neither is.
template <typename OpT>
std::pair<Value, Value> splatAndOther(OpT op, double value) {
  if (isSplat(op.getRhs(), value))
    return {op.getRhs(), op.getLhs()};
  if (isSplat(op.getLhs(), value))
    return {op.getLhs(), op.getRhs()};
  return {};
}

/// x^3 as pow(x, 3), x * (x * x) or (x * x) * x, every op used once;
/// returns x and appends the ops to `chain`.
Value matchCube(Value cube, SmallVectorImpl<Operation *> &chain) {
  if (!cube.hasOneUse())
    return {};
  if (auto pow = cube.getDefiningOp<PowOp>()) {
    if (!isSplat(pow.getRhs(), 3.0))
      return {};
    chain.push_back(pow);
    return pow.getLhs();
  }
  auto outer = cube.getDefiningOp<MulOp>();
  if (!outer)
    return {};
  for (auto [square, x] : {std::pair(outer.getLhs(), outer.getRhs()),
                           std::pair(outer.getRhs(), outer.getLhs())}) {
    auto inner = square.getDefiningOp<MulOp>();
    if (inner && square.hasOneUse() && inner.getLhs() == x &&
        inner.getRhs() == x) {
      chain.append({inner, outer});
      return x;
    }
  }
  return {};
}

/// The tanh form, 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
/// around `tanh` (GPT-2's and BERT's "new GELU" as exported), in the same
/// association orders. Replaces the product with gcomp.gelu(x)
/// {tanh_approximation}.
void recognizeTanhGelu(TanhOp tanh) {
  SmallVector<Operation *> head;
  auto scaled = tanh.getInput().getDefiningOp<MulOp>();
  if (!scaled || !tanh.getInput().hasOneUse())
    return;
  Value inner = splatAndOther(scaled, std::sqrt(2.0 / M_PI)).second;
  auto sum = inner ? inner.getDefiningOp<AddOp>() : AddOp();
  if (!sum || !inner.hasOneUse())
    return;
  for (auto [x, term] : {std::pair(sum.getLhs(), sum.getRhs()),
                         std::pair(sum.getRhs(), sum.getLhs())}) {
    auto cubic = term.getDefiningOp<MulOp>();
    if (!cubic || !term.hasOneUse())
      continue;
    Value cube = splatAndOther(cubic, 0.044715).second;
    SmallVector<Operation *> cubeOps;
    if (!cube || matchCube(cube, cubeOps) != x ||
        x.getType() != tanh.getType())
      continue;
    head.append(cubeOps);
    head.append({cubic, sum, scaled});
    replaceGeluProduct(tanh, x, head, /*tanhForm=*/true);
    return;
  }
}

/// x * sigmoid(x) (either order; the sigmoid's input may be x * 1, as the
/// importer writes ONNX Swish) becomes gcomp.silu(x), and x *
/// hard_sigmoid(x) with alpha 1/6 and beta 1/2 gcomp.hard_swish(x): one
/// elementwise op each. (SiLU as the conv kernel's epilogue, computed on
/// its finished tiles with vmath.h's exp, measured slower on EfficientNet
/// than the separate fused loop: 2.27 ms against 0.81 + 0.85 ms for its
/// largest expansion conv, AVX2; so it stays a loop of its own.)
void recognizeGatedActivation(MulOp mul) {
  auto type = dyn_cast<RankedTensorType>(mul.getType());
  if (!type)
    return;
  for (auto [x, gate] : {std::pair(mul.getLhs(), mul.getRhs()),
                         std::pair(mul.getRhs(), mul.getLhs())}) {
    if (x.getType() != type || !gate.hasOneUse())
      continue;
    Operation *gateOp = gate.getDefiningOp();
    SmallVector<Operation *> chain = {gateOp};
    Operation *replacement = nullptr;
    OpBuilder b(mul);
    if (auto sigmoid = dyn_cast_or_null<SigmoidOp>(gateOp)) {
      Value in = sigmoid.getInput();
      if (auto unit = in.getDefiningOp<MulOp>();
          unit && in.hasOneUse() && splatAndOther(unit, 1.0).second == x) {
        chain.insert(chain.begin(), unit);
        in = x;
      }
      if (in != x)
        continue;
      chain.push_back(mul);
      SmallVector<Location> locs;
      for (Operation *op : chain)
        locs.push_back(op->getLoc());
      replacement = SiluOp::create(b, b.getFusedLoc(locs), type, x);
    } else if (auto hard = dyn_cast_or_null<HardSigmoidOp>(gateOp)) {
      if (hard.getInput() != x ||
          std::abs(hard.getAlpha().convertToDouble() - 1.0 / 6.0) > 1e-6 ||
          std::abs(hard.getBeta().convertToDouble() - 0.5) > 1e-6)
        continue;
      replacement = HardSwishOp::create(
          b, b.getFusedLoc({hard.getLoc(), mul.getLoc()}), type, x);
      chain.push_back(mul);
    } else {
      continue;
    }
    mul.getResult().replaceAllUsesWith(replacement->getResult(0));
    for (Operation *op : llvm::reverse(chain))
      op->erase();
    return;
  }
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
    SmallVector<TanhOp> tanhs;
    getOperation().walk([&](TanhOp tanh) { tanhs.push_back(tanh); });
    for (TanhOp tanh : tanhs)
      recognizeTanhGelu(tanh);
    SmallVector<MulOp> products;
    getOperation().walk([&](MulOp mul) {
      if (isa_and_nonnull<SigmoidOp, HardSigmoidOp>(mul.getLhs().getDefiningOp()) ||
          isa_and_nonnull<SigmoidOp, HardSigmoidOp>(mul.getRhs().getDefiningOp()))
        products.push_back(mul);
    });
    for (MulOp mul : products)
      recognizeGatedActivation(mul);
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
