//===- ReductionLowering.cpp - reductions, softmax, argmax to linalg ------===//

#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

using Combine = llvm::function_ref<Value(OpBuilder &, Location, Value, Value)>;
using Map = llvm::function_ref<Value(OpBuilder &, Location, Value)>;

/// The iteration space of reducing a tensor of `type` over `axes`: the
/// kept dims' sizes, the identity input map, the output map dropping the
/// reduced dims, and the iterator kinds.
struct ReductionSpace {
  SmallVector<int64_t> shape;
  AffineMap inputMap, outputMap;
  SmallVector<utils::IteratorType> iterators;
};
ReductionSpace reductionSpace(RankedTensorType type, ArrayRef<int64_t> axes,
                              MLIRContext *ctx) {
  ReductionSpace space;
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    space.iterators.push_back(reduced ? utils::IteratorType::reduction
                                      : utils::IteratorType::parallel);
    if (!reduced) {
      space.shape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  space.inputMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
  space.outputMap = AffineMap::get(rank, 0, outExprs, ctx);
  return space;
}

/// Reduces `input` over `axes` into a tensor without those dims, starting
/// from `init` and folding `pre(x)` in with `combine`. The result has
/// `init`'s type: a wider float than the input's (f32 sums of f16) widens
/// each element first.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
             TypedAttr init, Map pre, Combine combine) {
  auto type = cast<RankedTensorType>(input.getType());
  ReductionSpace space = reductionSpace(type, axes, b.getContext());
  Type accType = init.getType();
  auto outType = RankedTensorType::get(space.shape, accType);
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d) && !llvm::is_contained(axes, d))
      sizes.push_back(tensor::DimOp::create(b, loc, input, d));
  Value acc = filledTensor(b, loc, outType, init, sizes);
  return linalg::GenericOp::create(
             b, loc, outType, input, acc,
             ArrayRef<AffineMap>{space.inputMap, space.outputMap},
             space.iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value x = args[0];
               if (x.getType() != accType)
                 x = arith::ExtFOp::create(nb, l, accType, x);
               x = pre ? pre(nb, l, x) : x;
               linalg::YieldOp::create(nb, l, combine(nb, l, x, args[1]));
             })
      .getResult(0);
}

TypedAttr extremeAttr(Type t, bool lowest) {
  if (auto ft = dyn_cast<FloatType>(t))
    return FloatAttr::get(ft, APFloat::getInf(ft.getFloatSemantics(), lowest));
  unsigned w = t.getIntOrFloatBitWidth();
  if (w == 1) // bool: false < true
    return IntegerAttr::get(t, lowest ? APInt(1, 0) : APInt(1, 1));
  return IntegerAttr::get(t, lowest ? APInt::getSignedMinValue(w)
                                    : APInt::getSignedMaxValue(w));
}

Value add(OpBuilder &b, Location l, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, l, x, y);
  return arith::AddIOp::create(b, l, x, y);
}
Value mul(OpBuilder &b, Location l, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, l, x, y);
  return arith::MulIOp::create(b, l, x, y);
}

template <typename OpT>
struct ReduceLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    Type t = type.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    // Symbolic dims that are kept keep their place in the result; reduced
    // ones (a mean over the sequence) make its count a run-time value.
    size_t keptDynamic = 0;
    for (int64_t d = 0; d < type.getRank(); ++d)
      keptDynamic += type.isDynamicDim(d) && !llvm::is_contained(axes, d);
    if (op.getType().getNumDynamicDims() != keptDynamic)
      return rewriter.notifyMatchFailure(op, "dynamic dims of the result");
    Value r;
    Map none = nullptr;
    auto square = [](OpBuilder &b, Location l, Value x) { return mul(b, l, x, x); };
    auto abs = [](OpBuilder &b, Location l, Value x) -> Value {
      if (isa<FloatType>(x.getType()))
        return math::AbsFOp::create(b, l, x);
      return math::AbsIOp::create(b, l, x);
    };
    // Sums and products of halves accumulate in f32 (max and min are
    // exact in any type), rounded once at the end.
    Type acc = accumulatorType(t);
    TypedAttr zero = zeroAttr(acc);
    if constexpr (std::is_same_v<OpT, ReduceMaxOp>)
      r = reduce(rewriter, loc, input, axes, extremeAttr(t, true), none, maxOf);
    else if constexpr (std::is_same_v<OpT, ReduceMinOp>)
      r = reduce(rewriter, loc, input, axes, extremeAttr(t, false), none, minOf);
    else if constexpr (std::is_same_v<OpT, ReduceProdOp>)
      r = reduce(rewriter, loc, input, axes,
                 isa<FloatType>(t) ? TypedAttr(FloatAttr::get(acc, 1.0))
                                   : TypedAttr(IntegerAttr::get(t, 1)),
                 none, mul);
    else if constexpr (std::is_same_v<OpT, ReduceL1Op>)
      r = reduce(rewriter, loc, input, axes, zero, abs, add);
    else if constexpr (std::is_same_v<OpT, ReduceL2Op> ||
                       std::is_same_v<OpT, ReduceSumSquareOp>)
      r = reduce(rewriter, loc, input, axes, zero, square, add);
    else if constexpr (std::is_same_v<OpT, ReduceLogSumExpOp>)
      r = reduce(rewriter, loc, input, axes, zero,
                 [](OpBuilder &b, Location l, Value x) -> Value {
                   return math::ExpOp::create(b, l, x);
                 },
                 add);
    else
      r = reduce(rewriter, loc, input, axes, zero, none, add);

    // Finish: mean divides, L2 takes the root, the log forms take the log.
    auto reducedType = cast<RankedTensorType>(r.getType());
    // The number of elements each result reduces: static, or a product
    // with the reduced symbolic dims read at run time.
    int64_t count = 1;
    Value dynamicCount;
    for (int64_t a : axes) {
      if (!type.isDynamicDim(a)) {
        count *= type.getDimSize(a);
        continue;
      }
      Value size = tensor::DimOp::create(rewriter, loc, input, a);
      dynamicCount = dynamicCount
                         ? arith::MulIOp::create(rewriter, loc, dynamicCount,
                                                 size)
                                   .getResult()
                         : size;
    }
    if (dynamicCount) {
      if (count != 1)
        dynamicCount = arith::MulIOp::create(
            rewriter, loc, dynamicCount,
            arith::ConstantIndexOp::create(rewriter, loc, count));
      // A mean of nothing divides its sum (0) by 1: 0, as onnxruntime
      // gives (and not a trap for integers).
      dynamicCount = arith::MaxSIOp::create(
          rewriter, loc, dynamicCount,
          arith::ConstantIndexOp::create(rewriter, loc, 1));
      Value asInt = arith::IndexCastOp::create(rewriter, loc,
                                               rewriter.getI64Type(),
                                               dynamicCount);
      if (isa<FloatType>(acc)) {
        dynamicCount = arith::SIToFPOp::create(rewriter, loc, acc, asInt);
      } else if (acc.getIntOrFloatBitWidth() == 64) {
        dynamicCount = asInt;
      } else {
        // A count that does not fit the narrow type (256 i8s) must not
        // truncate to a zero divisor, which would trap.
        Value narrow = arith::TruncIOp::create(rewriter, loc, acc, asInt);
        dynamicCount = arith::MaxSIOp::create(
            rewriter, loc, narrow,
            arith::ConstantOp::create(rewriter, loc,
                                      IntegerAttr::get(acc, 1)));
      }
    }
    Map post = nullptr;
    auto sqrt = [](OpBuilder &b, Location l, Value x) -> Value {
      return math::SqrtOp::create(b, l, x);
    };
    auto log = [](OpBuilder &b, Location l, Value x) -> Value {
      return math::LogOp::create(b, l, x);
    };
    auto mean = [&](OpBuilder &b, Location l, Value x) -> Value {
      Value n = dynamicCount
                    ? dynamicCount
                    : scalarConstant(b, l, x.getType(),
                                     static_cast<double>(std::max<int64_t>(
                                         count, 1)));
      if (isa<FloatType>(x.getType()))
        return arith::DivFOp::create(b, l, x, n);
      return arith::DivSIOp::create(b, l, x, n);
    };
    if constexpr (std::is_same_v<OpT, ReduceMeanOp>)
      post = mean;
    else if constexpr (std::is_same_v<OpT, ReduceL2Op>)
      post = sqrt;
    else if constexpr (std::is_same_v<OpT, ReduceLogSumOp> ||
                       std::is_same_v<OpT, ReduceLogSumExpOp>)
      post = log;
    if (post)
      r = elementwise(rewriter, loc, reducedType, r,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        return post(b, l, args[0]);
                      });
    r = convertElements(rewriter, loc, r, reducedType.clone(t));
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, r, op.getType()));
    return success();
  }
};

template <typename OpT>
struct ArgReduceLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    constexpr bool isMax = std::is_same_v<OpT, ArgMaxOp>;
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    Type t = type.getElementType();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    bool last = op.getSelectLastIndex();
    ReductionSpace space = reductionSpace(type, {axis}, ctx);
    auto valueType = RankedTensorType::get(space.shape, t);
    auto indexType = RankedTensorType::get(space.shape, rewriter.getI64Type());
    Value best = filledTensor(rewriter, loc, valueType, extremeAttr(t, isMax));
    Value bestIndex =
        filledTensor(rewriter, loc, indexType, rewriter.getI64IntegerAttr(-1));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, indexType}, input,
        ValueRange{best, bestIndex},
        ArrayRef<AffineMap>{space.inputMap, space.outputMap, space.outputMap},
        space.iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], cur = args[1], curIndex = args[2];
          Value i = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value better;
          if (isa<FloatType>(t))
            better = arith::CmpFOp::create(
                b, l,
                isMax ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                      : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT),
                x, cur);
          else
            better = arith::CmpIOp::create(
                b, l,
                isMax ? (last ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sgt)
                      : (last ? arith::CmpIPredicate::sle : arith::CmpIPredicate::slt),
                x, cur);
          // The first element always wins, so an all -inf row still gets
          // index 0 rather than -1.
          Value first = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, curIndex,
              arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0)));
          Value take = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, take, x, cur),
                         arith::SelectOp::create(b, l, take, i, curIndex)});
        });
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, generic.getResult(1),
                                     op.getType()));
    return success();
  }
};

/// Softmax and LogSoftmax: max-reduce, exp(x - max), sum-reduce, finish.
template <typename OpT>
struct SoftmaxLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    constexpr bool isLog = std::is_same_v<OpT, LogSoftmaxOp>;
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    auto elementType = cast<FloatType>(type.getElementType());
    int64_t rank = type.getRank(), axis = static_cast<int64_t>(op.getAxis());
    if (rank == 0) { // softmax of a scalar is 1, its log 0
      rewriter.replaceOp(op, filledTensor(rewriter, loc, type,
                                          FloatAttr::get(elementType,
                                                         isLog ? 0.0 : 1.0)));
      return success();
    }
    Value input = adaptor.getInput();
    if constexpr (!isLog) {
      // softmax(scale * x): the scale first, as its own elementwise op.
      float scale = op.getScale().convertToFloat();
      if (scale != 1.0f) {
        Value factor = arith::ConstantOp::create(
            rewriter, loc, FloatAttr::get(elementType, scale));
        input = elementwise(rewriter, loc, type, ValueRange{input},
                            [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                              return arith::MulFOp::create(b, l, a[0], factor);
                            });
      }
    }
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap dropAxis = identity.dropResult(axis);
    SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);
    auto withReduced = [&](ValueRange inputs, auto fn) {
      SmallVector<AffineMap> maps = {identity};
      for (size_t i = 1; i < inputs.size(); ++i)
        maps.push_back(dropAxis);
      maps.push_back(identity);
      return linalg::GenericOp::create(
                 rewriter, loc, type, inputs,
                 emptyTensor(rewriter, loc, type,
                             alignedDynamicSizes(rewriter, loc, type,
                                                 inputs.take_front())),
                 maps, parallel,
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, fn(b, l, args.drop_back()));
                 })
          .getResult(0);
    };
    Value max = reduce(rewriter, loc, input, {axis}, extremeAttr(elementType, true),
                       nullptr, maxOf);
    Value exps = withReduced(ValueRange{input, max},
                             [](OpBuilder &b, Location l, ValueRange a) -> Value {
                               return math::ExpOp::create(
                                   b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                             });
    // Half-precision exps sum in f32; the last step computes in f32 and
    // rounds once.
    Type accType = accumulatorType(elementType);
    Value sum = reduce(rewriter, loc, exps, {axis}, zeroAttr(accType),
                       nullptr, add);
    auto wide = [&](OpBuilder &b, Location l, Value v) -> Value {
      return v.getType() == accType ? v : arith::ExtFOp::create(b, l, accType, v);
    };
    auto narrow = [&](OpBuilder &b, Location l, Value v) -> Value {
      return v.getType() == elementType
                 ? v
                 : arith::TruncFOp::create(b, l, elementType, v);
    };
    Value result;
    if (isLog)
      result = withReduced(ValueRange{input, max, sum},
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             Value shifted = arith::SubFOp::create(b, l, a[0], a[1]);
                             return narrow(b, l, arith::SubFOp::create(
                                 b, l, wide(b, l, shifted),
                                 math::LogOp::create(b, l, a[2])));
                           });
    else
      result = withReduced(ValueRange{exps, sum},
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             return narrow(b, l, arith::DivFOp::create(
                                 b, l, wide(b, l, a[0]), a[1]));
                           });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A layer norm that the runtime does not compute is written out again as
/// the graph ops it stands for; the conversion then lowers those.
struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    SmallVector<int64_t> axes, kept(type.getShape());
    for (int64_t d = static_cast<int64_t>(op.getAxis()); d < type.getRank();
         ++d) {
      axes.push_back(d);
      kept[d] = 1;
    }
    RankedTensorType keptType = type.clone(kept);
    auto mean = [&](Value v) -> Value {
      return ReduceMeanOp::create(rewriter, loc, keptType, v,
                                  rewriter.getDenseI64ArrayAttr(axes),
                                  rewriter.getBoolAttr(true));
    };
    Value x = adaptor.getInput();
    Value centered = SubOp::create(rewriter, loc, type, x, mean(x));
    Value variance = mean(MulOp::create(rewriter, loc, type, centered, centered));
    auto scalarType = RankedTensorType::get({}, type.getElementType());
    Value epsilon = ConstantOp::create(
        rewriter, loc, scalarType,
        DenseElementsAttr::get(
            scalarType, FloatAttr::get(type.getElementType(),
                                       op.getEpsilon().convertToDouble())));
    Value invStd = ReciprocalOp::create(
        rewriter, loc,
        SqrtOp::create(rewriter, loc,
                       AddOp::create(rewriter, loc, keptType, variance, epsilon)));
    Value y = MulOp::create(rewriter, loc, type, centered, invStd);
    if (Value scale = adaptor.getScale())
      y = MulOp::create(rewriter, loc, type, y, scale);
    if (Value bias = adaptor.getBias())
      y = AddOp::create(rewriter, loc, type, y, bias);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void gcomp::lowering::populateReductionLowering(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp>, ReduceLowering<ReduceMeanOp>,
               ReduceLowering<ReduceMaxOp>, ReduceLowering<ReduceMinOp>,
               ReduceLowering<ReduceProdOp>, ReduceLowering<ReduceL1Op>,
               ReduceLowering<ReduceL2Op>, ReduceLowering<ReduceSumSquareOp>,
               ReduceLowering<ReduceLogSumOp>,
               ReduceLowering<ReduceLogSumExpOp>, ArgReduceLowering<ArgMaxOp>,
               ArgReduceLowering<ArgMinOp>, SoftmaxLowering<SoftmaxOp>,
               SoftmaxLowering<LogSoftmaxOp>, LayerNormLowering>(
      patterns.getContext());
}
