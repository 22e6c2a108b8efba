//===- InstrumentKernels.cpp - per-kernel timers for gcomp --profile ------===//

#include "AbiGlobals.h"
#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPINSTRUMENTKERNELS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

std::string nodeNames(Location loc) {
  return llvm::join(nodeNamesOf(loc), ",");
}

/// Floating-point operations of one call: iterations times the arith/math
/// ops of the body (a multiply-add counts 2). 0 when the shape is dynamic
/// or the op only moves data.
int64_t estimateFlops(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op)) {
    // The product of the constant arguments at `factors`, times
    // `perElement` operations.
    SmallVector<unsigned> factors;
    int64_t perElement = 2; // a multiply-add
    StringRef callee = call.getCallee();
    if (callee == GCOMP_SYM_SGEMM) // m n k batch
      factors = {0, 1, 2, 12};
    else if (callee == GCOMP_SYM_SGEMM_PACKED_B)
      factors = {0, 1, 2, 10};
    else if (callee == GCOMP_SYM_DWCONV2D) // channels kh kw oh ow
      factors = {0, 4, 5, 10, 11};
    else if (callee == GCOMP_SYM_DWCONV2D_NHWC)
      factors = {0, 3, 4, 5, 12, 13}; // n c kh kw oh ow
    else if (callee == GCOMP_SYM_CONV2D_NHWC)
      factors = {0, 3, 4, 5, 12, 13, 14}; // n c kh kw oh ow m
    else if (callee == GCOMP_SYM_DWCONV2D_NHWC_FUSED)
      factors = {0, 3, 4, 5, 12, 13}; // n c kh kw oh ow
    else if (callee == GCOMP_SYM_POOL2D_NHWC) {
      factors = {0, 3, 4, 5, 14, 15}; // n c kh kw oh ow, one op each
      perElement = 1;
    } else if (callee == GCOMP_SYM_SOFTMAX_ROWS) {
      factors = {0, 1}; // rows n: max, subtract, scale, exp, sum, divide
      perElement = 6;
    } else if (callee == GCOMP_SYM_ATTENTION) {
      // b0 b1 s t d: the two products (d = dv in every attention
      // exporters write; the softmax is small beside them).
      factors = {0, 1, 2, 3, 4};
      perElement = 4;
    } else if (callee == GCOMP_SYM_QCONV2D_NHWC) {
      factors = {0, 3, 4, 5, 12, 13, 14}; // n c kh kw oh ow m
    } else if (callee == GCOMP_SYM_QGEMM || callee == GCOMP_SYM_MATMUL_NBITS) {
      factors = {0, 1, 2}; // m n k
    } else if (callee == GCOMP_SYM_LAYER_NORM_ROWS) {
      factors = {0, 1}; // rows n: sum, centre, square-add, scale, shift
      perElement = 7;
    } else {
      return 0;
    }
    int64_t flops = perElement;
    for (unsigned i : factors) {
      IntegerAttr v;
      if (!matchPattern(call.getOperand(i), m_Constant(&v)))
        return 0;
      flops *= v.getInt();
    }
    return flops;
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || isa<linalg::FillOp, linalg::TransposeOp, linalg::CopyOp>(op))
    return 0;
  int64_t iterations = 1;
  for (int64_t r : linalgOp.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(r))
      return 0;
    iterations *= r;
  }
  int64_t opsPerIteration = 0;
  for (Operation &bodyOp : linalgOp.getBlock()->without_terminator())
    if (isa<arith::ArithDialect, math::MathDialect>(bodyOp.getDialect()) &&
        !isa<arith::ConstantOp>(bodyOp))
      ++opsPerIteration;
  return iterations * opsPerIteration;
}

struct InstrumentKernelsPass
    : gcomp::impl::GcompInstrumentKernelsBase<InstrumentKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal()) {
      module.emitError() << "no entry function '" << entryName << "'";
      return signalPassFailure();
    }
    SmallVector<Operation *> kernels = entryKernels(entry);

    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    Location loc = entry.getLoc();
    auto hookType = b.getFunctionType({b.getI32Type()}, {});
    for (StringRef hook : {GCOMP_SYM_PROF_BEGIN, GCOMP_SYM_PROF_END})
      if (!module.lookupSymbol(hook))
        func::FuncOp::create(b, loc, hook, hookType).setPrivate();

    SmallVector<int64_t> table = {static_cast<int64_t>(kernels.size())};
    std::string names;
    for (auto [index, op] : llvm::enumerate(kernels)) {
      b.setInsertionPoint(op);
      Value id = arith::ConstantOp::create(
          b, op->getLoc(), b.getI32IntegerAttr(static_cast<int32_t>(index)));
      func::CallOp::create(b, op->getLoc(), GCOMP_SYM_PROF_BEGIN, TypeRange{},
                           id);
      b.setInsertionPointAfter(op);
      func::CallOp::create(b, op->getLoc(), GCOMP_SYM_PROF_END, TypeRange{},
                           id);
      table.push_back(estimateFlops(op));
      names += kernelLabel(index, op);
      names.push_back('\0');
      names += nodeNames(op->getLoc());
      names.push_back('\0');
    }
    b.setInsertionPointToEnd(module.getBody());
    addAbiTable(b, loc, GCOMP_SYM_PROFILE_KERNELS, table);
    if (names.empty())
      names.push_back('\0'); // an empty array is not a valid LLVM global
    addAbiString(b, loc, GCOMP_SYM_PROFILE_NAMES, names);
  }
};

} // namespace
