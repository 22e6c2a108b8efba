//===- FuseAttention.cpp - softmax attention as one op --------------------===//
//
// Attention is two batched products around a softmax, with a scale and
// often a causal mask between them. As separate kernels the scores of
// every head go out to memory and back twice, and a causal mask computes
// the half of the products it then throws away. gcomp.attention is one
// runtime kernel that keeps a block of scores in cache and stops each block
// at its last visible key.
//
//===----------------------------------------------------------------------===//

#include "GraphMatchers.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"

#include <cmath>

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFUSEATTENTION
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

bool isF32(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isF32();
}

/// `v` with a transpose producing it looked through: its source, and the
/// transpose's perm (empty if there is none).
std::pair<Value, SmallVector<int64_t>> throughTranspose(Value v) {
  if (auto transpose = v.getDefiningOp<TransposeOp>())
    return {transpose.getInput(), SmallVector<int64_t>(transpose.getPerm())};
  return {v, {}};
}

/// Whether `cond` is the constant causal mask of an [s, s] score matrix
/// (broadcast over the heads): true exactly where the key is past the
/// query.
bool isCausalMask(Value cond, int64_t s) {
  auto constant = cond.getDefiningOp<ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(cond.getType());
  if (!constant || !type || !type.getElementType().isInteger(1) ||
      type.getRank() < 2 || type.getShape().take_back(2) != ArrayRef{s, s} ||
      type.getNumElements() != s * s)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense)
    return false;
  int64_t index = 0;
  for (bool masked : dense.getValues<bool>()) {
    if (masked != (index % s > index / s))
      return false;
    ++index;
  }
  return true;
}

/// Whether `v` is a boolean constant splat of `value`, broadcast or not.
bool isSplatBool(Value v, bool value) {
  if (auto broadcast = v.getDefiningOp<BroadcastToOp>())
    v = broadcast.getInput();
  auto constant = v.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  // A scalar: a larger splat would give the condition a static shape.
  return dense && dense.isSplat() && dense.getType().getRank() == 0 &&
         dense.getElementType().isInteger(1) &&
         dense.getSplatValue<bool>() == value;
}

/// Whether `a` and `b` are one size: the same value, or the same dim of
/// the same tensor.
bool sameIndex(Value a, Value b) {
  if (a == b)
    return true;
  auto x = a.getDefiningOp<tensor::DimOp>(),
       y = b.getDefiningOp<tensor::DimOp>();
  return x && y && x.getSource() == y.getSource() &&
         x.getConstantIndex() && x.getConstantIndex() == y.getConstantIndex();
}

/// The size of the iota that `v` is, reshaped to `shape` (one dim
/// symbolic, the other 1), or null.
Value iotaSize(Value v, ArrayRef<int64_t> shape) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  if (!reshape || reshape.getType().getShape() != shape)
    return {};
  auto iota = reshape.getInput().getDefiningOp<IotaOp>();
  return iota ? iota.getSize() : Value();
}

/// Whether `cond` is the causal mask of a symbolic [n, n] score matrix as
/// the importer builds it from iotas (ONNX Trilu over a symbolic size,
/// torch.triu(ones(n, n), 1)): true where column - row >= 1, possibly
/// inside a `where(mask, true, false)`.
bool isComputedCausalMask(Value cond) {
  auto type = dyn_cast<RankedTensorType>(cond.getType());
  if (!type || type.getShape() != ArrayRef<int64_t>{ShapedType::kDynamic,
                                                    ShapedType::kDynamic})
    return false;
  if (auto where = cond.getDefiningOp<WhereOp>()) {
    if (!isSplatBool(where.getX(), true) || !isSplatBool(where.getY(), false))
      return false;
    cond = where.getCondition();
  }
  Operation *compare = cond.getDefiningOp();
  if (!compare || !isa<GreaterEqualOp, GreaterOp>(compare))
    return false;
  // column - row >= 1, or column - row > 0.
  auto k = compare->getOperand(1).getDefiningOp<ConstantOp>();
  auto dense = k ? dyn_cast<DenseElementsAttr>(k.getValue())
                 : DenseElementsAttr();
  if (!dense || !dense.isSplat() || dense.getType().getRank() != 0 ||
      !dense.getElementType().isInteger(64) ||
      dense.getSplatValue<APInt>().getSExtValue() !=
          (isa<GreaterEqualOp>(compare) ? 1 : 0))
    return false;
  auto sub = compare->getOperand(0).getDefiningOp<SubOp>();
  if (!sub)
    return false;
  int64_t n = ShapedType::kDynamic;
  Value columns = iotaSize(sub.getLhs(), {1, n}),
        rows = iotaSize(sub.getRhs(), {n, 1});
  return columns && rows && sameIndex(columns, rows);
}

/// The attention ending in `pv`, the product of the probabilities and V,
/// replaced by one op.
LogicalResult fuse(MatMulOp pv) {
  auto softmax = pv.getLhs().getDefiningOp<SoftmaxOp>();
  if (!softmax || !softmax->hasOneUse() || !isF32(pv.getResult()) ||
      softmax.getScale().convertToFloat() != 1.0f)
    return failure();
  RankedTensorType scores = softmax.getType();
  int64_t rank = scores.getRank();
  if (rank < 3 || rank > 4 ||
      static_cast<int64_t>(softmax.getAxis()) != rank - 1)
    return failure();

  // Back from the softmax: the mask, the scale, the first product. Every
  // intermediate has the scores' type and only the next step as user.
  Value x = softmax.getInput();
  SmallVector<Operation *> chain = {softmax};
  bool causal = false;
  float scale = 1.0f;
  // An additive mask (padding), added last: the operand that is not the
  // chain of scores, of any shape that broadcasts to them.
  Value mask;
  if (auto add = x.getDefiningOp<AddOp>()) {
    auto isScores = [&](Value v) {
      Operation *def = v.getDefiningOp();
      return def && isa<WhereOp, MulOp, DivOp, MatMulOp>(def) &&
             v.getType() == scores;
    };
    Value other;
    if (isScores(add.getLhs()) && !isScores(add.getRhs())) {
      x = add.getLhs();
      other = add.getRhs();
    } else if (isScores(add.getRhs()) && !isScores(add.getLhs())) {
      x = add.getRhs();
      other = add.getLhs();
    }
    if (!other || !isF32(other) ||
        cast<RankedTensorType>(other.getType()).getRank() > rank)
      return failure();
    mask = other;
    chain.push_back(add);
  }
  if (auto where = x.getDefiningOp<WhereOp>()) {
    std::optional<float> fill = splatF32(where.getX());
    int64_t s = scores.getDimSize(rank - 2), t = scores.getDimSize(rank - 1);
    // A symbolic [n, n] mask broadcast to [..., s, t] makes s and t that
    // one n, which gcomp-symbolic-dims checks for the fused op.
    bool square = ShapedType::isDynamic(s) && ShapedType::isDynamic(t)
                      ? isComputedCausalMask(where.getCondition())
                      : s == t && !ShapedType::isDynamic(s) &&
                            isCausalMask(where.getCondition(), s);
    if (!fill || !std::isinf(*fill) || *fill > 0 || !square)
      return failure();
    causal = true;
    chain.push_back(where);
    x = where.getY();
  }
  if (Operation *def = x.getDefiningOp(); def && isa<MulOp, DivOp>(def)) {
    Value lhs = def->getOperand(0), rhs = def->getOperand(1);
    std::optional<float> c = splatF32(rhs);
    Value rest = lhs;
    if (!c && isa<MulOp>(def) && (c = splatF32(lhs)))
      rest = rhs;
    if (!c || !(*c > 0.0f) || !std::isfinite(*c))
      return failure();
    scale = isa<DivOp>(def) ? 1.0f / *c : *c;
    chain.push_back(def);
    x = rest;
  }
  auto qk = x.getDefiningOp<MatMulOp>();
  if (!qk)
    return failure();
  chain.push_back(qk);
  for (Operation *op : ArrayRef(chain).drop_front())
    if (!op->hasOneUse() || op->getResult(0).getType() != scores)
      return failure();

  auto [q, qPerm] = throughTranspose(qk.getLhs());
  auto [kt, ktPerm] = throughTranspose(qk.getRhs());
  auto [v, vPerm] = throughTranspose(pv.getRhs());
  if (!isF32(q) || !isF32(kt) || !isF32(v))
    return failure();
  // Ranks and head dims must agree without broadcasting.
  for (Value operand : {qk.getLhs(), qk.getRhs(), pv.getRhs()})
    if (cast<RankedTensorType>(operand.getType()).getShape().drop_back(2) !=
        scores.getShape().drop_back(2))
      return failure();

  OpBuilder b(pv);
  SmallVector<int64_t> resultPerm;
  Type resultType = pv.getType();
  Operation *replaced = pv;
  if (pv->hasOneUse())
    if (auto transpose = dyn_cast<TransposeOp>(*pv->getUsers().begin())) {
      resultPerm.assign(transpose.getPerm().begin(), transpose.getPerm().end());
      resultType = transpose.getType();
      replaced = transpose;
      b.setInsertionPoint(transpose);
    }
  auto attention = AttentionOp::create(
      b, pv.getLoc(), resultType, q, kt, v, mask, b.getF32FloatAttr(scale),
      causal ? b.getUnitAttr() : nullptr, b.getDenseI64ArrayAttr(qPerm),
      b.getDenseI64ArrayAttr(ktPerm), b.getDenseI64ArrayAttr(vPerm),
      b.getDenseI64ArrayAttr(resultPerm));
  replaced->getResult(0).replaceAllUsesWith(attention.getResult());
  if (replaced != pv.getOperation())
    replaced->erase();
  pv->erase();
  for (Operation *op : chain)
    op->erase();
  return success();
}

struct FuseAttentionPass
    : gcomp::impl::GcompFuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<MatMulOp> products;
    getOperation().walk([&](MatMulOp op) { products.push_back(op); });
    for (MatMulOp pv : products)
      (void)fuse(pv);
  }
};

} // namespace
