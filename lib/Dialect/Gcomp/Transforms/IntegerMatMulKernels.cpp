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

#include "IntegerKernels.h"
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

/// Constant weights V beyond int8 (uint8 weights less their zero points
/// span [-255, 255]) as the kernel takes them: V + c (int8), c a shift per
/// column, and (x - z) V = (x - z)(V + c) - c rowsum(x - z).
struct ShiftedWeights {
  std::vector<int8_t> shifted;
  std::vector<int32_t> shift;
};

/// The shifts, if every column of the [k, n] `values` spans at most 256
/// values.
std::optional<ShiftedWeights> shiftedWeights(Value rhs, int64_t k, int64_t n) {
  std::optional<std::vector<int32_t>> values = constantInts(rhs);
  if (!values || k < 1)
    return std::nullopt;
  ShiftedWeights w;
  w.shift.assign(n, 0);
  for (int64_t j = 0; j < n; ++j) {
    int32_t lo = (*values)[j], hi = lo;
    for (int64_t p = 0; p < k; ++p) {
      lo = std::min(lo, (*values)[p * n + j]);
      hi = std::max(hi, (*values)[p * n + j]);
    }
    if (static_cast<int64_t>(hi) - lo > 255)
      return std::nullopt;
    if (lo < -128 || hi > 127)
      w.shift[j] = -128 - lo;
  }
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j)
      w.shifted.push_back(static_cast<int8_t>((*values)[p * n + j] + w.shift[j]));
  return w;
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
    std::optional<Int8Activations> act = matchInt8Activations(op.getLhs());
    if (!act)
      return;
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    int64_t k = lhsType.getShape().back();
    if (rhsType.getRank() != 2 || rhsType.getDimSize(0) != k || k < minK)
      return;
    int64_t n = rhsType.getDimSize(1);
    std::optional<std::vector<int8_t>> weights = constantInt8s(op.getRhs());
    // Weights beyond int8 (uint8 weights less their zero points): the
    // kernel multiplies by them shifted into int8, and the shift's share,
    // c * rowsum(x - z), is subtracted after.
    std::optional<std::vector<int32_t>> shift;
    if (!weights) {
      std::optional<ShiftedWeights> w = shiftedWeights(op.getRhs(), k, n);
      if (!w)
        return;
      weights = std::move(w->shifted);
      shift = std::move(w->shift);
    }
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto [packedWeights, columnSums] = makePackedConstants(
        b, loc, packInt8Matrix(*weights, k, n, k), "qgemm");
    Value zeroPoint = scalarZeroPoint(b, loc, *act);
    Value result = QMatMulOp::create(
        b, loc, type, act->x, zeroPoint, packedWeights, columnSums,
        b.getI64IntegerAttr(k), b.getI64IntegerAttr(n),
        act->isUnsigned ? UnitAttr() : b.getUnitAttr());
    if (shift) {
      SmallVector<int64_t> rowShape(lhsType.getShape());
      rowShape.back() = 1;
      Value rowSums = ReduceSumOp::create(
          b, loc, lhsType.clone(rowShape), op.getLhs(),
          b.getDenseI64ArrayAttr({lhsType.getRank() - 1}), b.getBoolAttr(true));
      auto shiftType = RankedTensorType::get({1, n}, b.getI32Type());
      Value shifts = makeConstant(
          b, loc, shiftType,
          ArrayRef(reinterpret_cast<const char *>(shift->data()),
                   shift->size() * sizeof(int32_t)),
          "qgemm_zero_shift");
      Value correction = b.createOrFold<MulOp>(loc, rowSums, shifts);
      result = SubOp::create(b, loc, type, result, correction);
    }
    op.replaceAllUsesWith(result);
    op.erase();
  }
};

} // namespace
