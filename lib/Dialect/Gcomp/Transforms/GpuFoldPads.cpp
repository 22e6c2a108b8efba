//===- GpuFoldPads.cpp - read through padding instead of materializing it -===//
//
// A padded convolution or pooling reads its input through a tensor.pad,
// which bufferizes into a fill of the padded buffer and a copy of the
// input into its interior: on the GPU two kernels and two passes over
// memory before the op that reads it (the im2col copy of a convolution,
// a depthwise convolution's loops, a pooling window). This pass has the
// readers read the unpadded input instead: each element they read at
// index i is the input's at i - low where that lies inside it, the
// padding value elsewhere (a select on a clamped read, so no thread reads
// out of bounds and none branches).
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "GpuLowering.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPGPUFOLDPADS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// A generic op's input that reads a pad's result, directly or through a
/// tensor.expand_shape of it.
struct PadReader {
  linalg::GenericOp op;
  OpOperand *operand;
  tensor::ExpandShapeOp expand; // null when read directly
};

/// Whether `use` is an input of a generic op that can read through the
/// padding: not a product, which would lose its tiled kernel (its inputs
/// must be plain tensors).
bool canReadThrough(OpOperand &use) {
  auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
  return generic && generic.isDpsInput(&use) &&
         generic.hasPureTensorSemantics() &&
         failed(gcomp::matchContraction(generic));
}

/// The pad's readers, or nothing if some user is not a generic op's input
/// that can read through the padding (then the padded tensor is needed
/// anyway), or one op reads it twice.
std::optional<SmallVector<PadReader>> readersOf(tensor::PadOp pad) {
  SmallVector<PadReader> readers;
  DenseSet<Operation *> seen;
  auto add = [&](OpOperand &use, tensor::ExpandShapeOp expand) {
    if (!canReadThrough(use) || !seen.insert(use.getOwner()).second)
      return false;
    readers.push_back(
        {cast<linalg::GenericOp>(use.getOwner()), &use, expand});
    return true;
  };
  for (OpOperand &use : pad.getResult().getUses()) {
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(use.getOwner())) {
      for (OpOperand &expandUse : expand.getResult().getUses())
        if (!add(expandUse, expand))
          return std::nullopt;
      continue;
    }
    if (!add(use, nullptr))
      return std::nullopt;
  }
  return readers;
}

/// Rebuilds `reader.op` without the padded input: its body computes the
/// element it would have read from the pad's source.
void foldInto(tensor::PadOp pad, Value padValue, PadReader reader) {
  linalg::GenericOp op = reader.op;
  OpBuilder b(op);
  Location loc = op.getLoc();
  unsigned dropped = reader.operand->getOperandNumber();
  AffineMap readMap = op.getMatchingIndexingMap(reader.operand);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input == reader.operand)
      continue;
    inputs.push_back(input->get());
    maps.push_back(op.getMatchingIndexingMap(input));
  }
  for (OpOperand &init : op.getDpsInitsMutable())
    maps.push_back(op.getMatchingIndexingMap(&init));
  Value source = pad.getSource();
  auto sourceType = cast<RankedTensorType>(source.getType());
  SmallVector<int64_t> low(pad.getStaticLow());
  auto padded = cast<RankedTensorType>(pad.getResult().getType());

  auto rebuilt = linalg::GenericOp::create(
      b, loc, op.getResultTypes(), inputs, op.getDpsInits(), maps,
      op.getIteratorTypesArray(),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        auto index = [&](int64_t v) {
          return arith::ConstantIndexOp::create(nb, l, v).getResult();
        };
        // The indices the op read the (expanded) padded tensor at.
        SmallVector<Value> loopIndices;
        for (unsigned d = 0; d < op.getNumLoops(); ++d)
          loopIndices.push_back(linalg::IndexOp::create(nb, l, d));
        SmallVector<Value> readIndices;
        for (AffineExpr expr : readMap.getResults())
          readIndices.push_back(affine::AffineApplyOp::create(
              nb, l, AffineMap::get(readMap.getNumDims(), 0, expr),
              loopIndices));
        // Through the expand_shape: each padded dim's index from its group.
        SmallVector<Value> paddedIndices;
        if (!reader.expand) {
          paddedIndices = readIndices;
        } else {
          ArrayRef<int64_t> expanded = reader.expand.getResultType().getShape();
          for (const ReassociationIndices &group :
               reader.expand.getReassociationIndices()) {
            Value linear = index(0);
            for (int64_t e : group)
              linear = arith::AddIOp::create(
                  nb, l,
                  arith::MulIOp::create(nb, l, linear, index(expanded[e])),
                  readIndices[e]);
            paddedIndices.push_back(linear);
          }
        }
        Value inside;
        SmallVector<Value> sourceIndices;
        for (int64_t d = 0; d < padded.getRank(); ++d) {
          int64_t size = sourceType.getDimSize(d);
          Value i = paddedIndices[d];
          if (low[d] == 0 && size == padded.getDimSize(d)) {
            sourceIndices.push_back(i);
            continue;
          }
          Value shifted = arith::SubIOp::create(nb, l, i, index(low[d]));
          Value fits = arith::AndIOp::create(
              nb, l,
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                    shifted, index(0)),
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                    shifted, index(size)));
          inside = inside ? arith::AndIOp::create(nb, l, inside, fits)
                              .getResult()
                          : fits;
          Value clamped = arith::MaxSIOp::create(
              nb, l, index(0),
              arith::MinSIOp::create(nb, l, shifted, index(size - 1)));
          sourceIndices.push_back(clamped);
        }
        Value element =
            tensor::ExtractOp::create(nb, l, source, sourceIndices);
        if (inside)
          element =
              arith::SelectOp::create(nb, l, inside, element, padValue);
        // The old body, its padded argument replaced by the element.
        Block *body = op.getBlock();
        IRMapping mapping;
        unsigned next = 0;
        for (BlockArgument arg : body->getArguments()) {
          if (arg.getArgNumber() == dropped)
            mapping.map(arg, element);
          else
            mapping.map(arg, args[next++]);
        }
        for (Operation &inner : body->getOperations())
          nb.clone(inner, mapping);
      });
  rebuilt->setAttrs(op->getDiscardableAttrDictionary());
  op->replaceAllUsesWith(rebuilt->getResults());
  op.erase();
}

struct GpuFoldPadsPass : gcomp::impl::GcompGpuFoldPadsBase<GpuFoldPadsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<tensor::PadOp> pads;
    getOperation().walk([&](tensor::PadOp pad) { pads.push_back(pad); });
    for (tensor::PadOp pad : pads) {
      Value padValue = pad.getConstantPaddingValue();
      auto type = cast<RankedTensorType>(pad.getResult().getType());
      if (!padValue || !type.hasStaticShape() ||
          !pad.getSourceType().hasStaticShape() || !pad.getLow().empty() ||
          !pad.getHigh().empty() || pad.getNofold())
        continue;
      // An empty source has no element to read, even at clamped indices.
      if (pad.getSourceType().getNumElements() == 0)
        continue;
      // A padding value computed inside the pad's region cannot be used
      // outside it.
      if (pad.getRegion().isAncestor(padValue.getParentRegion()))
        continue;
      std::optional<SmallVector<PadReader>> readers = readersOf(pad);
      if (!readers || readers->empty())
        continue;
      for (const PadReader &reader : *readers)
        foldInto(pad, padValue, reader);
      SmallVector<Operation *> expands;
      for (Operation *user : pad.getResult().getUsers())
        expands.push_back(user);
      for (Operation *expand : expands)
        expand->erase();
      pad.erase();
    }
  }
};

} // namespace
