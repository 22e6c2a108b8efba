//===- FoldTransposes.cpp - transposes as indexing maps, not copies -------===//
//
// A linalg.transpose is a whole pass over a tensor that only renames its
// dims. A linalg.generic can read any operand, and write its result,
// through any permutation of its loops, so the rename belongs in its
// indexing map: a transpose feeding a generic is read in place, and a
// generic whose result only feeds a transpose writes the transposed layout
// directly. Attention is the case that matters: the heads are split out of
// the projections and merged back with transposes around the two batched
// products, which then read and write the projections' buffers with
// strides (gcomp-gemm-to-runtime-call passes them to the GEMM).
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFOLDTRANSPOSES
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// Generics that a later pass claims by an attribute (gcomp.depthwise_nhwc)
/// expect the layouts they were built with: their maps are left alone.
bool isClaimed(linalg::GenericOp generic) {
  return !generic->getDiscardableAttrDictionary().empty();
}

/// The map that reads a transpose's input where `map` read its result:
/// result dim j is input dim perm[j].
AffineMap readThroughTranspose(AffineMap map, ArrayRef<int64_t> perm) {
  SmallVector<AffineExpr> exprs(map.getNumResults());
  for (auto [j, p] : llvm::enumerate(perm))
    exprs[p] = map.getResult(j);
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), exprs,
                        map.getContext());
}

/// The map that writes a transpose's result where `map` wrote its input.
AffineMap writeThroughTranspose(AffineMap map, ArrayRef<int64_t> perm) {
  SmallVector<AffineExpr> exprs;
  for (int64_t p : perm)
    exprs.push_back(map.getResult(p));
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), exprs,
                        map.getContext());
}

/// Every use of `transpose` that is an input of a linalg.generic reads the
/// transpose's input instead; returns whether the transpose is now dead.
bool foldIntoReaders(linalg::TransposeOp transpose) {
  Value result = transpose.getResult()[0];
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : result.getUses()) {
    auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!generic || !generic.isDpsInput(&use) || isClaimed(generic))
      return false; // needed as a tensor anyway: keep it for everyone
    uses.push_back(&use);
  }
  if (uses.empty())
    return false;
  for (OpOperand *use : uses) {
    auto generic = cast<linalg::GenericOp>(use->getOwner());
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    unsigned index = use->getOperandNumber();
    maps[index] = readThroughTranspose(maps[index], transpose.getPermutation());
    generic.setIndexingMapsAttr(
        ArrayAttr::get(generic.getContext(),
                       llvm::map_to_vector(maps, [](AffineMap m) -> Attribute {
                         return AffineMapAttr::get(m);
                       })));
    use->set(transpose.getInput());
  }
  transpose.erase();
  return true;
}

/// A single-result generic whose only user is `transpose`, with an init
/// that is only a shape (tensor.empty) or a fill of one, writes the
/// transposed layout itself.
bool foldIntoWriter(linalg::TransposeOp transpose) {
  auto generic = transpose.getInput().getDefiningOp<linalg::GenericOp>();
  if (!generic || isClaimed(generic) || generic->getNumResults() != 1 ||
      generic.getNumDpsInits() != 1)
    return false;
  // Besides the transpose, only reads of its sizes (a symbolic dim's, for
  // the transpose's own init) may use the result: they read the folded
  // result's sizes instead.
  SmallVector<tensor::DimOp> dimUsers;
  for (Operation *user : generic->getResult(0).getUsers()) {
    if (user == transpose)
      continue;
    auto dim = dyn_cast<tensor::DimOp>(user);
    if (!dim || !dim.getConstantIndex())
      return false;
    dimUsers.push_back(dim);
  }
  OpOperand *init = generic.getDpsInitOperand(0);
  // The new init: the same shape-only value in the transposed shape.
  auto fill = init->get().getDefiningOp<linalg::FillOp>();
  Value empty = fill ? fill.getDpsInitOperand(0)->get() : init->get();
  if (!empty.getDefiningOp<tensor::EmptyOp>() ||
      (fill && !fill->getResult(0).hasOneUse()) ||
      (!fill && generic.payloadUsesValueFromOperand(init)))
    return false;
  OpBuilder b(generic);
  Location loc = generic.getLoc();
  auto type = cast<RankedTensorType>(transpose.getResult()[0].getType());
  // Symbolic dims: dim j of the result is dim perm[j] of the old init.
  SmallVector<OpFoldResult> oldSizes =
      tensor::getMixedSizes(b, loc, empty);
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : transpose.getPermutation())
    sizes.push_back(oldSizes[p]);
  Value newInit =
      tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  if (fill)
    newInit = linalg::FillOp::create(b, fill.getLoc(), fill.getInputs()[0],
                                     newInit)
                  .getResult(0);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  maps.back() = writeThroughTranspose(maps.back(), transpose.getPermutation());
  auto folded = linalg::GenericOp::create(
      b, loc, TypeRange{type}, generic.getInputs(), ValueRange{newInit}, maps,
      generic.getIteratorTypesArray());
  folded.getRegion().takeBody(generic.getRegion());
  for (tensor::DimOp dim : dimUsers) {
    OpBuilder db(dim);
    int64_t index = *dim.getConstantIndex();
    int64_t transposed =
        llvm::find(transpose.getPermutation(), index) -
        transpose.getPermutation().begin();
    dim.replaceAllUsesWith(tensor::DimOp::create(db, dim.getLoc(),
                                                 folded.getResult(0),
                                                 transposed)
                               .getResult());
    dim.erase();
  }
  transpose.getResult()[0].replaceAllUsesWith(folded.getResult(0));
  transpose.erase();
  generic.erase();
  if (fill && fill->use_empty())
    fill.erase();
  return true;
}

struct FoldTransposesPass
    : gcomp::impl::GcompFoldTransposesBase<FoldTransposesPass> {
  void runOnOperation() override {
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk(
        [&](linalg::TransposeOp t) {
          if (t.hasPureTensorSemantics())
            transposes.push_back(t);
        });
    for (linalg::TransposeOp transpose : transposes)
      if (!foldIntoReaders(transpose))
        (void)foldIntoWriter(transpose);
  }
};

} // namespace
