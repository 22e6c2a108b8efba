//===- GpuSplitReductions.cpp - split-K for small GPU matrix products -----===//
//
// A product's tiles are independent, its terms are not: with few tiles and
// many terms the GPU runs a few blocks for a long time. Splitting the sum
// over k into S partial sums multiplies the blocks by S, for one more small
// kernel that adds the partial sums up.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "GpuLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPGPUSPLITREDUCTIONS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// Shorter sums are fast enough in one piece.
constexpr int64_t kMinTerms = 512;
/// Each partial sum keeps at least this many terms.
constexpr int64_t kMinTermsPerSplit = 128;
constexpr int64_t kMaxSplits = 32;

/// The `acc + term` the body of `op` yields, where `acc` is the output's
/// block argument and used nowhere else (so that `term` does not depend on
/// it); null if the body is not that.
arith::AddFOp sumOfTerms(linalg::LinalgOp op, OpOperand *out) {
  Block *body = op.getBlock();
  BlockArgument acc = body->getArgument(out->getOperandNumber());
  auto add = body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || !acc.hasOneUse() || add.getLhs() == add.getRhs() ||
      (add.getLhs() != acc && add.getRhs() != acc))
    return {};
  return add;
}

/// The number of partial sums for `op`, or 1 to leave it as it is.
int64_t chooseSplits(linalg::LinalgOp op, const gcomp::Contraction &c,
                     int64_t minBlocks) {
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t rows = sizes[c.m], columns = sizes[c.n], terms = sizes[c.k];
  int64_t batches = 1;
  for (int64_t d : c.batch)
    batches *= sizes[d];
  if (rows < gcomp::kMinTiledRows || columns < gcomp::kMinTiledColumns ||
      terms < kMinTerms ||
      gcomp::tiledContractionBlocks(rows, columns, batches) >= minBlocks)
    return 1;
  int64_t splits = 1;
  for (int64_t s = 2; s <= kMaxSplits && terms / s >= kMinTermsPerSplit; ++s) {
    if (terms % s != 0)
      continue;
    splits = s;
    if (gcomp::tiledContractionBlocks(rows, columns, batches * s) >= minBlocks)
      break;
  }
  return splits;
}

/// Long sums over one input with few outputs (a global pooling at high
/// resolution: 32 channels of 112 x 112): each output gets a warp
/// (gcomp-linalg-to-gpu-loops), too few to fill the GPU.
constexpr int64_t kMinReductionTerms = 2048;
/// Warps per 256-thread block: the split aims at `min-blocks` blocks' worth.
constexpr int64_t kWarpsPerBlock = 8;
constexpr int64_t kMinTermsPerWarp = 256;
constexpr int64_t kMaxReductionSplits = 64;

/// For a sum over one input with every loop static and the output indexed
/// by the parallel loops: the reduction loop to split (the outermost) and
/// the number of partial sums, or {-1, 1} to leave it.
std::pair<int64_t, int64_t> chooseReductionSplit(linalg::GenericOp op,
                                                 int64_t minBlocks) {
  int64_t minWarps = minBlocks * kWarpsPerBlock;
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0)
    return {-1, 1};
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type || !type.hasStaticShape() ||
        !op.getMatchingIndexingMap(&operand).isProjectedPermutation())
      return {-1, 1};
  }
  if (static_cast<int64_t>(
          op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getNumResults()) !=
      op.getNumParallelLoops())
    return {-1, 1};
  if (llvm::any_of(op.getBlock()->getOperations(), [](Operation &inner) {
        return isa<linalg::IndexOp>(inner) || inner.getNumRegions() != 0;
      }))
    return {-1, 1};
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t outputs = 1, terms = 1, outer = -1;
  for (auto [d, iterator] : llvm::enumerate(iterators)) {
    bool reduces = iterator == utils::IteratorType::reduction;
    (reduces ? terms : outputs) *= sizes[d];
    if (reduces && outer < 0)
      outer = static_cast<int64_t>(d);
  }
  if (terms < kMinReductionTerms || outputs >= minWarps)
    return {-1, 1};
  int64_t splits = 1;
  for (int64_t s = 2; s <= kMaxReductionSplits && terms / s >= kMinTermsPerWarp;
       ++s) {
    if (sizes[outer] % s != 0)
      continue;
    splits = s;
    if (outputs * s >= minWarps)
      break;
  }
  return {outer, splits};
}

/// Splits reduction loop `k` of `op`, whose output is `out` and whose body
/// yields `add`, into `splits` partial sums and their sum.
void split(linalg::GenericOp op, int64_t k, OpOperand *out, arith::AddFOp add,
           int64_t splits) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  int64_t numLoops = op.getNumLoops();
  int64_t terms = op.getStaticLoopRanges()[k];
  // The new loops: the old ones (k now the terms within a split, kk), then s.
  AffineExpr s = getAffineDimExpr(numLoops, ctx);
  AffineExpr kk = getAffineDimExpr(k, ctx);

  // Each input indexed by k, its k dimension split in (s, kk).
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    auto type = cast<RankedTensorType>(input->get().getType());
    SmallVector<AffineExpr> results;
    SmallVector<int64_t> shape;
    SmallVector<ReassociationIndices> groups;
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      ReassociationIndices group = {static_cast<int64_t>(shape.size())};
      if (expr == kk) {
        results.push_back(s);
        shape.push_back(splits);
        group.push_back(static_cast<int64_t>(shape.size()));
        shape.push_back(terms / splits);
      } else {
        shape.push_back(type.getDimSize(i));
      }
      results.push_back(expr);
      groups.push_back(group);
    }
    maps.push_back(AffineMap::get(numLoops + 1, 0, results, ctx));
    Value value = input->get();
    if (map.isFunctionOfDim(static_cast<unsigned>(k)))
      value = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get(shape, type.getElementType()), value,
          groups);
    inputs.push_back(value);
  }

  // The partial sums, (s, output dims...), from zero.
  auto outType = cast<RankedTensorType>(out->get().getType());
  SmallVector<int64_t> partialShape = {splits};
  llvm::append_range(partialShape, outType.getShape());
  Type element = outType.getElementType();
  Value empty = tensor::EmptyOp::create(b, loc, partialShape, element);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  Value partialInit =
      linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  SmallVector<AffineExpr> outResults = {s};
  llvm::append_range(outResults, op.getMatchingIndexingMap(out).getResults());
  maps.push_back(AffineMap::get(numLoops + 1, 0, outResults, ctx));
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  iterators.push_back(utils::IteratorType::parallel);
  auto partial = linalg::GenericOp::create(
      b, loc, partialInit.getType(), inputs, ValueRange{partialInit}, maps,
      iterators);
  IRMapping mapping;
  op.getRegion().cloneInto(&partial.getRegion(), mapping);

  // The output: its initial value plus the partial sums, s innermost.
  int64_t rank = outType.getRank();
  SmallVector<AffineExpr> partialResults = {getAffineDimExpr(rank, ctx)};
  for (int64_t d = 0; d < rank; ++d)
    partialResults.push_back(getAffineDimExpr(d, ctx));
  SmallVector<utils::IteratorType> sumIterators(rank,
                                                utils::IteratorType::parallel);
  sumIterators.push_back(utils::IteratorType::reduction);
  auto sum = linalg::GenericOp::create(
      b, loc, outType, ValueRange{partial.getResult(0)},
      ValueRange{out->get()},
      {AffineMap::get(rank + 1, 0, partialResults, ctx),
       // Not getMajorSubMap(rank): it gives a null map for a 0-d output.
       AffineMap::get(rank + 1, 0, ArrayRef(partialResults).drop_front(),
                      ctx)},
      sumIterators, [&](OpBuilder &nested, Location l, ValueRange args) {
        Value total = arith::AddFOp::create(nested, l, args[1], args[0],
                                            add.getFastmathAttr());
        linalg::YieldOp::create(nested, l, total);
      });
  op.getResult(0).replaceAllUsesWith(sum.getResult(0));
  op.erase();
}

struct GpuSplitReductionsPass
    : gcomp::impl::GcompGpuSplitReductionsBase<GpuSplitReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && op.getNumResults() == 1)
        ops.push_back(op);
    });
    for (linalg::GenericOp op : ops) {
      OpOperand *out = op.getDpsInitOperand(0);
      if (!isa<FloatType>(getElementTypeOrSelf(out->get().getType())))
        continue;
      arith::AddFOp add = sumOfTerms(op, out);
      if (!add)
        continue;
      FailureOr<gcomp::Contraction> c = gcomp::matchContraction(op);
      if (succeeded(c)) {
        int64_t splits = chooseSplits(op, *c, minBlocks);
        if (splits > 1)
          split(op, c->k, out, add, splits);
        continue;
      }
      auto [k, splits] = chooseReductionSplit(op, minBlocks);
      if (splits > 1)
        split(op, k, out, add, splits);
    }
  }
};

} // namespace
