//===- ChannelsLast.cpp - convolutions and their neighbours in NHWC -------===//
//
// ONNX convolutions are NCHW. On a CPU the matrix product behind a conv
// wants the channels innermost: the input's rows are then contiguous runs of
// channels (a 1x1 conv needs no im2col at all), the weights form a
// [kernel x C, M] matrix that is constant, and the output channels are the
// vector dim, so a layer with a 7x7 image still fills whole vectors.
//
// The pass rewrites every 2-D f32 conv (one group, or depthwise) and i32
// conv (one group) into its
// `channels_last` form and carries that layout forward through the ops that
// do not care about it (elementwise ops, pooling, reductions with kept
// dims, concat), so that a chain of convolutions, activations and residual
// adds converts once at its start and once at its end. Each rewritten op's
// NCHW result is still available as a transpose of the new value for users
// that stay NCHW; transposes nobody uses are erased, and those that only
// move size-1 dims are reshapes. Constant operands (weights, per-channel
// scales) are permuted at compile time.
//
//===----------------------------------------------------------------------===//

#include "ConstantData.h"
#include "WeightPacking.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SetVector.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPCHANNELSLAST
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// [0, 2, 3, ..., r-1, 1]: NCHW dims in channels-last order.
SmallVector<int64_t> toLastPerm(int64_t rank) {
  SmallVector<int64_t> perm = {0};
  for (int64_t d = 2; d < rank; ++d)
    perm.push_back(d);
  perm.push_back(1);
  return perm;
}

/// The inverse of toLastPerm.
SmallVector<int64_t> toFirstPerm(int64_t rank) {
  SmallVector<int64_t> perm = {0, rank - 1};
  for (int64_t d = 1; d < rank - 1; ++d)
    perm.push_back(d);
  return perm;
}

SmallVector<int64_t> permuteShape(ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> perm) {
  SmallVector<int64_t> result;
  for (int64_t p : perm)
    result.push_back(shape[p]);
  return result;
}

/// Whether `perm` keeps the order of the dims larger than 1, so that the
/// transpose reads the elements in their stored order: a reshape.
bool movesOnlyUnitDims(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  int64_t last = -1;
  for (int64_t p : perm) {
    if (shape[p] == 1)
      continue;
    if (p < last)
      return false;
    last = p;
  }
  return true;
}

/// `value` with its dims permuted, computed now; null where the elements
/// cannot be read. Keeps a resource a resource (weights stay out of the
/// context's uniqued attributes).
ElementsAttr permuteConstant(ElementsAttr value, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getShapedType());
  if (!type.getElementType().isIntOrFloat() || !type.hasStaticShape())
    return {};
  auto resultType = type.clone(permuteShape(type.getShape(), perm));
  if (auto dense = dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat())
    return dense.resizeSplat(resultType);
  std::optional<ArrayRef<char>> raw = rawElements(value);
  size_t size = type.getElementType().getIntOrFloatBitWidth() / 8;
  if (!raw || raw->size() != type.getNumElements() * size)
    return {};
  std::vector<char> bytes = permuteBytes(*raw, type, perm);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef(bytes.data(), bytes.size()), alignof(std::max_align_t));
    return DenseResourceElementsAttr::get(
        resultType, (resource.getRawHandle().getKey() + ".channels_last").str(),
        std::move(blob));
  }
  return DenseElementsAttr::getFromRawBuffer(resultType,
                                             ArrayRef(bytes.data(), bytes.size()));
}

class ChannelsLastRewriter {
public:
  explicit ChannelsLastRewriter(MLIRContext *ctx) : builder(ctx) {}

  void run(func::FuncOp func) {
    SmallVector<Operation *> ops;
    for (Operation &op : func.getBody().getOps())
      ops.push_back(&op);
    for (Operation *op : ops) {
      builder.setInsertionPoint(op);
      if (auto conv = dyn_cast<ConvOp>(op))
        rewriteConv(conv);
      else if (isa<MaxPoolOp, AveragePoolOp>(op))
        rewritePool(op);
      else if (op->hasTrait<Elementwise>())
        rewriteElementwise(op);
      else if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp,
                   ReduceProdOp, ReduceL1Op, ReduceL2Op, ReduceSumSquareOp,
                   ReduceLogSumOp, ReduceLogSumExpOp>(op))
        rewriteReduce(op);
      else if (auto concat = dyn_cast<ConcatOp>(op))
        rewriteConcat(concat);
    }
    // The NCHW views and the original constants that no user needed.
    for (Operation *view : llvm::reverse(views))
      if (view->use_empty())
        view->erase();
    for (Operation *constant : replacedConstants)
      if (constant->use_empty())
        constant->erase();
  }

private:
  /// `v` with its dims permuted: a constant is permuted now, a transpose
  /// undone by `perm` is skipped, a permutation that moves only size-1 dims
  /// is a reshape.
  Value permute(Value v, ArrayRef<int64_t> perm) {
    auto type = cast<RankedTensorType>(v.getType());
    auto resultType = type.clone(permuteShape(type.getShape(), perm));
    Location loc = v.getLoc();
    if (auto constant = v.getDefiningOp<ConstantOp>())
      if (ElementsAttr permuted = permuteConstant(constant.getValue(), perm)) {
        replacedConstants.insert(constant);
        return ConstantOp::create(builder, loc, permuted);
      }
    if (auto transpose = v.getDefiningOp<TransposeOp>()) {
      ArrayRef<int64_t> inner = transpose.getPerm();
      if (llvm::all_of(llvm::enumerate(perm), [&](auto e) {
            return inner[e.value()] == static_cast<int64_t>(e.index());
          }))
        return transpose.getInput();
    }
    if ((type.hasStaticShape() || isRank4Static(type)) &&
        movesOnlyUnitDims(type.getShape(), perm))
      return ReshapeOp::create(builder, loc, resultType, v);
    return TransposeOp::create(builder, loc, resultType, v,
                               builder.getDenseI64ArrayAttr(perm));
  }

  /// The channels-last form of the rank-4 `v`, made once.
  Value channelsLast(Value v) {
    if (Value last = lastOf.lookup(v))
      return last;
    Value last = permute(v, toLastPerm(4));
    lastOf[v] = last;
    return last;
  }

  /// Replaces `op`'s only result with the NCHW view of `last`.
  void replaceWithLast(Operation *op, Value last) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointAfterValue(last);
    Value first = permute(last, toFirstPerm(4));
    if (Operation *view = first.getDefiningOp())
      views.push_back(view);
    lastOf[first] = last;
    op->getResult(0).replaceAllUsesWith(first);
    op->erase();
  }

  /// Rank 4 and static, but for the batch dim (dim 0, which every
  /// permutation here keeps in place).
  static bool isRank4Static(Type type) {
    auto t = dyn_cast<RankedTensorType>(type);
    return t && t.getRank() == 4 && isStaticButBatch(t);
  }

  static RankedTensorType lastType(Type type) {
    auto t = cast<RankedTensorType>(type);
    return t.clone(permuteShape(t.getShape(), toLastPerm(4)));
  }

  void rewriteConv(ConvOp conv) {
    RankedTensorType in = conv.getInput().getType(), w = conv.getWeight().getType();
    // Integer convolutions (of quantized models) with one group go to
    // gcomp-integer-conv-kernels' channels-last kernel.
    bool isInteger = in.getElementType().isSignlessInteger(32);
    if (conv.getChannelsLast() || !(in.getElementType().isF32() || isInteger) ||
        !isRank4Static(in) || !isRank4Static(w) || !isRank4Static(conv.getType()))
      return;
    int64_t group = static_cast<int64_t>(conv.getGroup());
    int64_t c = in.getDimSize(1), m = w.getDimSize(0);
    bool depthwise = group == c && group == m;
    if (group != 1 && (!depthwise || isInteger))
      return;
    Value input = channelsLast(conv.getInput());
    // [M, C/G, KH, KW] -> [KH, KW, C/G, M].
    Value weight = permute(conv.getWeight(), {2, 3, 1, 0});
    auto last = ConvOp::create(
        builder, conv.getLoc(), lastType(conv.getType()), input, weight,
        conv.getBias(), conv.getStridesAttr(), conv.getDilationsAttr(),
        conv.getPadsAttr(), conv.getGroupAttr(), builder.getUnitAttr());
    last->setDiscardableAttrs(conv->getDiscardableAttrDictionary());
    replaceWithLast(conv, last);
  }

  void rewritePool(Operation *op) {
    Value input = op->getOperand(0);
    if (op->hasAttr("channels_last") || !lastOf.count(input) ||
        !isRank4Static(op->getResult(0).getType()))
      return;
    Operation *last = builder.clone(*op);
    last->setOperand(0, lastOf.lookup(input));
    last->getResult(0).setType(lastType(op->getResult(0).getType()));
    last->setAttr("channels_last", builder.getUnitAttr());
    replaceWithLast(op, last->getResult(0));
  }

  /// Builds `op` again on `operands` with result type `type` (same name and
  /// attributes).
  Value rebuild(Operation *op, ValueRange operands, Type type,
                ArrayRef<NamedAttribute> attrs) {
    OperationState state(op->getLoc(), op->getName());
    state.addOperands(operands);
    state.addTypes(type);
    state.addAttributes(attrs);
    return builder.create(state)->getResult(0);
  }

  void rewriteElementwise(Operation *op) {
    if (op->getNumResults() != 1 || !isRank4Static(op->getResult(0).getType()))
      return;
    Type resultType = op->getResult(0).getType();
    auto resultShape = cast<RankedTensorType>(resultType).getShape();
    // Worth it only if a full-size operand already is channels-last.
    if (llvm::none_of(op->getOperands(), [&](Value v) {
          return lastOf.count(v) &&
                 cast<RankedTensorType>(v.getType()).getShape() == resultShape;
        }))
      return;
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type || type.getRank() > 4 ||
          !(type.hasStaticShape() || isRank4Static(type)))
        return;
      if (type.getRank() < 4) {
        // Numpy broadcasting right-aligns the dims: make that explicit.
        SmallVector<int64_t> shape(4 - type.getRank(), 1);
        llvm::append_range(shape, type.getShape());
        if (auto constant = v.getDefiningOp<ConstantOp>())
          if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
            v = ConstantOp::create(builder, v.getLoc(),
                                   dense.reshape(type.clone(shape)));
            operands.push_back(permute(v, toLastPerm(4)));
            continue;
          }
        v = ReshapeOp::create(builder, v.getLoc(), type.clone(shape), v);
      }
      operands.push_back(channelsLast(v));
    }
    Value last = rebuild(op, operands, lastType(resultType), op->getAttrs());
    replaceWithLast(op, last);
  }

  void rewriteReduce(Operation *op) {
    Value input = op->getOperand(0);
    auto keep = op->getAttrOfType<BoolAttr>("keepdims");
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
    if (!lastOf.count(input) || (keep && !keep.getValue()) || !axes ||
        !isRank4Static(op->getResult(0).getType()))
      return;
    // NCHW dim a is channels-last dim position(a).
    SmallVector<int64_t> toLast = toLastPerm(4), newAxes;
    for (int64_t a : axes.asArrayRef())
      newAxes.push_back(llvm::find(toLast, a) - toLast.begin());
    llvm::sort(newAxes);
    SmallVector<NamedAttribute> attrs(op->getAttrs());
    for (NamedAttribute &attr : attrs)
      if (attr.getName() == "axes")
        attr.setValue(builder.getDenseI64ArrayAttr(newAxes));
    Value last = rebuild(op, lastOf.lookup(input),
                         lastType(op->getResult(0).getType()), attrs);
    replaceWithLast(op, last);
  }

  void rewriteConcat(ConcatOp concat) {
    if (!isRank4Static(concat.getType()) ||
        llvm::none_of(concat.getInputs(), [&](Value v) { return lastOf.count(v); }))
      return;
    SmallVector<Value> inputs;
    for (Value v : concat.getInputs())
      inputs.push_back(channelsLast(v));
    SmallVector<int64_t> toLast = toLastPerm(4);
    int64_t axis = llvm::find(toLast, static_cast<int64_t>(concat.getAxis())) -
                   toLast.begin();
    auto last = ConcatOp::create(builder, concat.getLoc(),
                                 lastType(concat.getType()), inputs,
                                 builder.getI64IntegerAttr(axis));
    replaceWithLast(concat, last);
  }

  OpBuilder builder;
  /// Channels-last equivalents of NCHW values.
  DenseMap<Value, Value> lastOf;
  /// The NCHW views of rewritten results, erased at the end if unused.
  SmallVector<Operation *> views;
  /// Constants that were permuted, erased at the end if unused.
  llvm::SetVector<Operation *> replacedConstants;
};

struct ChannelsLastPass
    : gcomp::impl::GcompChannelsLastBase<ChannelsLastPass> {
  void runOnOperation() override {
    ChannelsLastRewriter(&getContext()).run(getOperation());
  }
};

} // namespace
