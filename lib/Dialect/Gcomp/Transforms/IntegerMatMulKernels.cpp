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
    std::optional<std::vector<int8_t>> weights = constantInt8s(op.getRhs());
    if (!weights)
      return;
    int64_t n = rhsType.getDimSize(1);
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto [packedWeights, columnSums] = makePackedConstants(
        b, loc, packInt8Matrix(*weights, k, n, k), "qgemm");
    Value zeroPoint = scalarZeroPoint(b, loc, *act);
    auto qmatmul = QMatMulOp::create(
        b, loc, type, act->x, zeroPoint, packedWeights, columnSums,
        b.getI64IntegerAttr(k), b.getI64IntegerAttr(n),
        act->isUnsigned ? UnitAttr() : b.getUnitAttr());
    op.replaceAllUsesWith(qmatmul.getResult());
    op.erase();
  }
};

} // namespace
