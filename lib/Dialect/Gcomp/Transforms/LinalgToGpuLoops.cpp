//===- LinalgToGpuLoops.cpp - loops for GPU threads, reducing in registers ===//
//
// One GPU thread computes one element of a linalg op's outputs: it loads
// the element once, runs the reduction loops on a value, and stores it
// once. Values carried by scf.for become registers; a load and a store of
// the output at every reduction step (what convert-linalg-to-parallel-loops
// emits) would not, since nothing tells LLVM that the output does not alias
// the inputs.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPLINALGTOGPULOOPS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// The indices `map` gives for the loop induction variables `ivs`.
SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                            ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
      indices.push_back(
          arith::ConstantIndexOp::create(b, loc, constant.getValue()));
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

/// Whether every output is indexed by parallel dimensions only (else the
/// output changes along a reduction, and cannot live in a register).
bool outputsAreParallel(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (AffineExpr expr : map.getResults()) {
      bool reduces = false;
      expr.walk([&](AffineExpr e) {
        if (auto dim = dyn_cast<AffineDimExpr>(e))
          reduces |= iterators[dim.getPosition()] ==
                     utils::IteratorType::reduction;
      });
      if (reduces)
        return false;
    }
  }
  return true;
}

LogicalResult lower(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || !outputsAreParallel(op) ||
      op->getNumRegions() != 1 || op.getBlock() == nullptr)
    return failure();
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Range> ranges = op.createLoopRanges(b, loc);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t numLoops = iterators.size();
  SmallVector<Value> ivs(numLoops);
  SmallVector<int64_t> parallel, reduction;
  for (int64_t d = 0; d < numLoops; ++d)
    (iterators[d] == utils::IteratorType::parallel ? parallel : reduction)
        .push_back(d);
  auto value = [&](OpFoldResult r) {
    return getValueOrCreateConstantIndexOp(b, loc, r);
  };

  // The parallel loop, when there is one; the builder ends up inside it.
  if (!parallel.empty()) {
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d : parallel) {
      lbs.push_back(value(ranges[d].offset));
      ubs.push_back(value(ranges[d].size));
      steps.push_back(value(ranges[d].stride));
    }
    auto loop = scf::ParallelOp::create(b, loc, lbs, ubs, steps);
    for (auto [k, d] : llvm::enumerate(parallel))
      ivs[d] = loop.getInductionVars()[k];
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }

  // Each output element, once.
  SmallVector<Value> accumulators;
  SmallVector<SmallVector<Value>> outputIndices;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    // Reduction dims are not in the map: any placeholder will do.
    SmallVector<Value> mapIvs = ivs;
    for (Value &iv : mapIvs)
      if (!iv)
        iv = arith::ConstantIndexOp::create(b, loc, 0);
    outputIndices.push_back(applyMap(b, loc, map, mapIvs));
    accumulators.push_back(
        memref::LoadOp::create(b, loc, init.get(), outputIndices.back()));
  }

  // The reduction loops carry the outputs; the body runs in the innermost.
  SmallVector<scf::ForOp> fors;
  for (int64_t d : reduction) {
    auto loop = scf::ForOp::create(b, loc, value(ranges[d].offset),
                                   value(ranges[d].size),
                                   value(ranges[d].stride), accumulators);
    ivs[d] = loop.getInductionVar();
    if (!fors.empty())
      scf::YieldOp::create(b, loc, loop.getResults());
    fors.push_back(loop);
    b.setInsertionPointToStart(loop.getBody());
    accumulators.assign(loop.getRegionIterArgs().begin(),
                        loop.getRegionIterArgs().end());
  }

  Block *body = op.getBlock();
  IRMapping mapping;
  for (OpOperand *input : op.getDpsInputOperands()) {
    BlockArgument arg = body->getArgument(input->getOperandNumber());
    if (!isa<MemRefType>(input->get().getType())) {
      mapping.map(arg, input->get());
      continue;
    }
    SmallVector<Value> indices =
        applyMap(b, loc, op.getMatchingIndexingMap(input), ivs);
    mapping.map(arg, memref::LoadOp::create(b, loc, input->get(), indices));
  }
  for (auto [k, init] : llvm::enumerate(op.getDpsInitsMutable()))
    mapping.map(body->getArgument(init.getOperandNumber()), accumulators[k]);
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  SmallVector<Value> results;
  for (Value yielded : body->getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(yielded));

  // Close the reduction loops, innermost first.
  if (!fors.empty()) {
    scf::YieldOp::create(b, loc, results);
    results.assign(fors.front().getResults().begin(),
                   fors.front().getResults().end());
    b.setInsertionPointAfter(fors.front());
  }
  for (auto [k, init] : llvm::enumerate(op.getDpsInitsMutable()))
    memref::StoreOp::create(b, loc, results[k], init.get(), outputIndices[k]);
  op->erase();
  return success();
}

struct LinalgToGpuLoopsPass
    : gcomp::impl::GcompLinalgToGpuLoopsBase<LinalgToGpuLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops)
      (void)lower(op); // what is left goes to the upstream lowering
  }
};

} // namespace
