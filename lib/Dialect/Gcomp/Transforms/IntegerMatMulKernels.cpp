//===- IntegerMatMulKernels.cpp - int8 products as runtime kernels --------===//
//
// The importer writes every integer product of a quantized model as a
// gcomp.matmul of i32 operands, `(cast(x) - z) @ cast(W)`, which is exact
// but runs as a loop nest of i32 multiply-adds. With W constant and within
// int8, the same integers come out of the runtime's int8 kernel (VNNI's
// vpdpbusd multiplies four byte pairs per lane): this pass packs W once,
// in the kernel's layout, with its column sums (the kernel subtracts
// z * colsum(W) instead of z from every element of x), and puts a
// gcomp.qmatmul in place of the product.
//
//===----------------------------------------------------------------------===//

#include "ConstantData.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/IR/Matchers.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPINTEGERMATMULKERNELS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// The int8 activations of a product's left operand `cast(x) - z` or
/// `cast(x)`: x (i8), whether the cast read it as unsigned, and z (a
/// rank-0 i32, null for none).
struct Activations {
  Value x;
  bool isUnsigned;
  Value zeroPoint;
};

/// `v` widened from i8 to i32 by a gcomp.cast: the i8 value.
std::optional<std::pair<Value, bool>> widenedInt8(Value v) {
  auto cast = v.getDefiningOp<CastOp>();
  if (!cast || !cast.getInput().getType().getElementType().isSignlessInteger(8))
    return std::nullopt;
  return std::pair{cast.getInput(), cast.getUnsignedInput()};
}

std::optional<Activations> matchActivations(Value lhs) {
  if (auto widened = widenedInt8(lhs))
    return Activations{widened->first, widened->second, nullptr};
  auto sub = lhs.getDefiningOp<SubOp>();
  if (!sub || sub.getLhs().getType() != lhs.getType())
    return std::nullopt;
  auto widened = widenedInt8(sub.getLhs());
  auto zpType = cast<RankedTensorType>(sub.getRhs().getType());
  // A scalar zero point (any rank of one element broadcasts like one).
  if (!widened || zpType.getNumElements() != 1 || !zpType.hasStaticShape())
    return std::nullopt;
  return Activations{widened->first, widened->second, sub.getRhs()};
}

/// The values of a constant integer tensor of static shape, as int32:
/// a gcomp.constant of i8 or i32, or such a constant widened by a
/// gcomp.cast and less a one-element constant (the weights and their zero
/// point as the importer writes them, before or after folding).
std::optional<std::vector<int32_t>> constantInts(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.hasStaticShape())
    return std::nullopt;
  if (auto constant = v.getDefiningOp<ConstantOp>()) {
    unsigned bits = type.getElementType().getIntOrFloatBitWidth();
    if (!type.getElementType().isSignlessInteger() || (bits != 8 && bits != 32))
      return std::nullopt;
    std::vector<char> storage;
    std::optional<ArrayRef<char>> raw = rawBytes(constant.getValue(), storage);
    if (!raw)
      return std::nullopt;
    std::vector<int32_t> values(type.getNumElements());
    for (size_t i = 0; i < values.size(); ++i) {
      if (bits == 8) {
        values[i] = static_cast<int8_t>((*raw)[i]);
      } else {
        std::memcpy(&values[i], raw->data() + i * sizeof(int32_t),
                    sizeof(int32_t));
      }
    }
    return values;
  }
  if (auto cast = v.getDefiningOp<CastOp>()) {
    Type from = cast.getInput().getType().getElementType();
    if (!from.isSignlessInteger(8) || !type.getElementType().isSignlessInteger(32))
      return std::nullopt;
    std::optional<std::vector<int32_t>> values = constantInts(cast.getInput());
    if (values && cast.getUnsignedInput())
      for (int32_t &x : *values)
        x &= 0xff;
    return values;
  }
  if (auto sub = v.getDefiningOp<SubOp>()) {
    if (sub.getLhs().getType() != type)
      return std::nullopt;
    std::optional<std::vector<int32_t>> values = constantInts(sub.getLhs()),
                                        zero = constantInts(sub.getRhs());
    if (!values || !zero || zero->size() != 1)
      return std::nullopt;
    for (int32_t &x : *values)
      x -= (*zero)[0];
    return values;
  }
  return std::nullopt;
}

/// W's values as int8, if W is a constant [k, n] matrix within int8.
std::optional<std::vector<int8_t>> int8Weights(Value rhs) {
  auto type = cast<RankedTensorType>(rhs.getType());
  if (type.getRank() != 2)
    return std::nullopt;
  std::optional<std::vector<int32_t>> values = constantInts(rhs);
  if (!values)
    return std::nullopt;
  std::vector<int8_t> weights(values->size());
  for (size_t i = 0; i < weights.size(); ++i) {
    if ((*values)[i] < -128 || (*values)[i] > 127)
      return std::nullopt;
    weights[i] = static_cast<int8_t>((*values)[i]);
  }
  return weights;
}

struct IntegerMatMulKernelsPass
    : gcomp::impl::GcompIntegerMatMulKernelsBase<IntegerMatMulKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<MatMulOp> products;
    getOperation().walk([&](MatMulOp op) { products.push_back(op); });
    for (MatMulOp op : products)
      rewrite(op);
  }

  void rewrite(MatMulOp op) {
    RankedTensorType type = op.getType();
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    if (!type.getElementType().isSignlessInteger(32) ||
        !type.hasStaticShape() || !lhsType.hasStaticShape() ||
        lhsType.getRank() < 2 || type.getRank() != lhsType.getRank())
      return;
    std::optional<Activations> act = matchActivations(op.getLhs());
    if (!act)
      return;
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    int64_t k = lhsType.getShape().back();
    if (rhsType.getRank() != 2 || rhsType.getDimSize(0) != k || k < minK)
      return;
    std::optional<std::vector<int8_t>> weights = int8Weights(op.getRhs());
    if (!weights)
      return;
    int64_t n = rhsType.getDimSize(1);

    // The layout of GCOMP_SYM_QGEMM (model_abi.h).
    const int64_t block = GCOMP_QGEMM_BLOCK, k4 = (k + 3) / 4,
                  blocks = (n + block - 1) / block;
    std::vector<char> packed(blocks * k4 * 4 * block, 0);
    std::vector<int32_t> sums(blocks * block, 0);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) {
        int8_t w = (*weights)[p * n + j];
        packed[(j / block) * k4 * 4 * block + (p / 4) * 4 * block +
               ((j % block) / 16) * 64 + (j % 16) * 4 + p % 4] = w;
        sums[j] += w;
      }

    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = &getContext();
    Value packedWeights = makeConstant(
        b, loc, RankedTensorType::get({static_cast<int64_t>(packed.size())},
                                      IntegerType::get(ctx, 8)),
        packed, "qgemm_weights");
    Value columnSums = makeConstant(
        b, loc,
        RankedTensorType::get({static_cast<int64_t>(sums.size())},
                              IntegerType::get(ctx, 32)),
        ArrayRef(reinterpret_cast<const char *>(sums.data()),
                 sums.size() * sizeof(int32_t)),
        "qgemm_sums");
    auto scalar = RankedTensorType::get({}, IntegerType::get(ctx, 32));
    Value zeroPoint =
        act->zeroPoint
            ? b.createOrFold<ReshapeOp>(loc, scalar, act->zeroPoint)
            : Value(ConstantOp::create(
                  b, loc, DenseElementsAttr::get(scalar, int32_t(0))));
    auto qmatmul = QMatMulOp::create(
        b, loc, type, act->x, zeroPoint, packedWeights, columnSums,
        b.getI64IntegerAttr(k), b.getI64IntegerAttr(n),
        act->isUnsigned ? UnitAttr() : b.getUnitAttr());
    op.replaceAllUsesWith(qmatmul.getResult());
    op.erase();
  }
};

} // namespace
