//===- GcompToLinalg.cpp - gcomp graph ops to linalg on tensors -----------===//
//
// Each gcomp op becomes destination-style linalg/tensor/arith/math IR.
// Broadcasting is expressed in indexing maps (a size-1 dim that broadcasts
// reads index 0), so no broadcast copies are materialized; the upstream
// elementwise fusion that runs next merges the resulting generics.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Conversion/Passes.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace gcomp {
#define GEN_PASS_DEF_CONVERTGCOMPTOLINALG
#include "gcomp/Conversion/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// The lowering handles static shapes; symbolic dims come with their own
/// run-time shape plumbing.
LogicalResult requireStatic(Operation *op, ConversionPatternRewriter &rewriter) {
  for (Type t : llvm::concat<Type>(TypeRange(op->getOperandTypes()),
                                   TypeRange(op->getResultTypes())))
    if (auto shaped = dyn_cast<ShapedType>(t); shaped && !shaped.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes are not lowered yet");
  return success();
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   TypedAttr value) {
  Value init = emptyTensor(b, loc, type);
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

TypedAttr zeroAttr(Type elementType) {
  if (auto ft = dyn_cast<FloatType>(elementType))
    return FloatAttr::get(ft, 0.0);
  return IntegerAttr::get(elementType, 0);
}

/// The map reading an operand of `operandShape` inside an iteration space
/// whose trailing dims are the (broadcast) result dims `resultShape`:
/// operand dims align to the right; a size-1 dim that broadcasts reads 0.
AffineMap broadcastMap(ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape, MLIRContext *ctx) {
  unsigned rank = resultShape.size();
  unsigned offset = rank - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [j, dim] : llvm::enumerate(operandShape)) {
    if (dim == 1 && resultShape[j + offset] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(j + offset, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// An all-parallel linalg.generic over `resultType` whose body `fn` maps
/// the operands' scalars to the result scalar.
using ScalarFn =
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, ScalarFn fn) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(cast<RankedTensorType>(in.getType()).getShape(),
                                resultType.getShape(), ctx));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, emptyTensor(b, loc, resultType), maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, fn(nb, nloc, args.drop_back()));
      });
  return generic.getResult(0);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename SrcOp, typename FloatOp, typename IntOp>
struct BinaryLowering : OpConversionPattern<SrcOp> {
  using OpConversionPattern<SrcOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SrcOp op, typename SrcOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    bool isFloat = isa<FloatType>(op.getType().getElementType());
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(),
        {adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isFloat)
            return FloatOp::create(b, loc, args[0], args[1]);
          return IntOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename SrcOp>
struct UnaryLowering : OpConversionPattern<SrcOp> {
  using OpConversionPattern<SrcOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SrcOp op, typename SrcOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Type elementType = op.getType().getElementType();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), {adaptor.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return scalar(b, loc, args[0], elementType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  static Value scalar(OpBuilder &b, Location loc, Value x, Type t);
};

template <>
Value UnaryLowering<ReluOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    Type t) {
  Value zero = arith::ConstantOp::create(b, loc, zeroAttr(t));
  return arith::MaximumFOp::create(b, loc, x, zero);
}

template <>
Value UnaryLowering<SigmoidOp>::scalar(OpBuilder &b, Location loc, Value x,
                                       Type t) {
  Value one = arith::ConstantOp::create(b, loc, FloatAttr::get(t, 1.0));
  Value negExp = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, negExp));
}

template <>
Value UnaryLowering<TanhOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    Type) {
  return math::TanhOp::create(b, loc, x);
}

//===----------------------------------------------------------------------===//
// Softmax: max-reduce, exp(x - max), sum-reduce, divide.
//===----------------------------------------------------------------------===//

struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    auto elementType = cast<FloatType>(type.getElementType());
    int64_t rank = type.getRank(), axis = op.getAxis();
    if (rank == 0) { // softmax of a scalar is 1
      rewriter.replaceOp(op, filledTensor(rewriter, loc, type,
                                          FloatAttr::get(elementType, 1.0)));
      return success();
    }
    SmallVector<int64_t> reducedShape(type.getShape());
    reducedShape.erase(reducedShape.begin() + axis);
    auto reducedType = RankedTensorType::get(reducedShape, elementType);
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap dropAxis = identity.dropResult(axis);
    SmallVector<utils::IteratorType> reduceIters(rank,
                                                 utils::IteratorType::parallel);
    reduceIters[axis] = utils::IteratorType::reduction;
    SmallVector<utils::IteratorType> parallelIters(
        rank, utils::IteratorType::parallel);

    auto reduce = [&](Value input, TypedAttr init, auto combine) {
      Value acc = filledTensor(rewriter, loc, reducedType, init);
      return linalg::GenericOp::create(
                 rewriter, loc, reducedType, input, acc,
                 ArrayRef<AffineMap>{identity, dropAxis}, reduceIters,
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, combine(b, l, args[0], args[1]));
                 })
          .getResult(0);
    };
    auto withReduced = [&](Value input, Value reduced, auto fn) {
      return linalg::GenericOp::create(
                 rewriter, loc, type, ValueRange{input, reduced},
                 emptyTensor(rewriter, loc, type),
                 ArrayRef<AffineMap>{identity, dropAxis, identity},
                 parallelIters,
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, fn(b, l, args[0], args[1]));
                 })
          .getResult(0);
    };

    Value max = reduce(
        adaptor.getInput(),
        FloatAttr::get(elementType,
                       APFloat::getInf(elementType.getFloatSemantics(), true)),
        [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
          return arith::MaximumFOp::create(b, l, x, acc);
        });
    Value exps = withReduced(adaptor.getInput(), max,
                             [](OpBuilder &b, Location l, Value x,
                                Value m) -> Value {
                               return math::ExpOp::create(
                                   b, l, arith::SubFOp::create(b, l, x, m));
                             });
    Value sum = reduce(exps, FloatAttr::get(elementType, 0.0),
                       [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
                         return arith::AddFOp::create(b, l, x, acc);
                       });
    Value result = withReduced(exps, sum,
                               [](OpBuilder &b, Location l, Value e,
                                  Value s) -> Value {
                                 return arith::DivFOp::create(b, l, e, s);
                               });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// acc + a * b for float or integer scalars.
Value multiplyAdd(OpBuilder &b, Location loc, Value a, Value x, Value acc) {
  if (isa<FloatType>(a.getType()))
    return arith::AddFOp::create(b, loc, acc, arith::MulFOp::create(b, loc, a, x));
  return arith::AddIOp::create(b, loc, acc, arith::MulIOp::create(b, loc, a, x));
}

Value contraction(OpBuilder &b, Location loc, RankedTensorType resultType,
                  Value lhs, Value rhs, ArrayRef<AffineMap> maps,
                  ArrayRef<utils::IteratorType> iterators) {
  Value acc = filledTensor(b, loc, resultType,
                           zeroAttr(resultType.getElementType()));
  return linalg::GenericOp::create(
             b, loc, resultType, ValueRange{lhs, rhs}, acc, maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l, multiplyAdd(nb, l, args[0], args[1], args[2]));
             })
      .getResult(0);
}

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    MLIRContext *ctx = rewriter.getContext();
    auto lhsType = cast<RankedTensorType>(adaptor.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(adaptor.getRhs().getType());
    bool lhsVector = lhsType.getRank() == 1, rhsVector = rhsType.getRank() == 1;
    // Iteration space: [batch..., m?, n?, k].
    int64_t lhsBatch = lhsVector ? 0 : lhsType.getRank() - 2;
    int64_t rhsBatch = rhsVector ? 0 : rhsType.getRank() - 2;
    int64_t batch = std::max(lhsBatch, rhsBatch);
    int64_t numLoops = batch + !lhsVector + !rhsVector + 1;
    SmallVector<int64_t> batchShape(
        op.getType().getShape().take_front(batch));
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    int64_t mDim = batch, nDim = batch + !lhsVector, kDim = numLoops - 1;

    auto batchExprs = [&](ArrayRef<int64_t> operandBatch) {
      SmallVector<AffineExpr> exprs;
      int64_t offset = batch - operandBatch.size();
      for (auto [j, dim] : llvm::enumerate(operandBatch))
        exprs.push_back(dim == 1 && batchShape[j + offset] != 1
                            ? getAffineConstantExpr(0, ctx)
                            : d(j + offset));
      return exprs;
    };
    SmallVector<AffineExpr> lhsExprs =
        batchExprs(lhsType.getShape().take_front(lhsBatch));
    if (!lhsVector)
      lhsExprs.push_back(d(mDim));
    lhsExprs.push_back(d(kDim));
    SmallVector<AffineExpr> rhsExprs =
        batchExprs(rhsType.getShape().take_front(rhsBatch));
    rhsExprs.push_back(d(kDim));
    if (!rhsVector)
      rhsExprs.push_back(d(nDim));
    SmallVector<AffineExpr> outExprs;
    for (int64_t i = 0; i < batch; ++i)
      outExprs.push_back(d(i));
    if (!lhsVector)
      outExprs.push_back(d(mDim));
    if (!rhsVector)
      outExprs.push_back(d(nDim));

    SmallVector<AffineMap> maps = {
        AffineMap::get(numLoops, 0, lhsExprs, ctx),
        AffineMap::get(numLoops, 0, rhsExprs, ctx),
        AffineMap::get(numLoops, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    rewriter.replaceOp(op, contraction(rewriter, op.getLoc(), op.getType(),
                                       adaptor.getLhs(), adaptor.getRhs(), maps,
                                       iterators));
    return success();
  }
};

struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = {
        AffineMap::get(3, 0, op.getTransA() ? ArrayRef{k, m} : ArrayRef{m, k},
                       ctx),
        AffineMap::get(3, 0, op.getTransB() ? ArrayRef{n, k} : ArrayRef{k, n},
                       ctx),
        AffineMap::get(3, 0, {m, n}, ctx)};
    Value product = contraction(
        rewriter, loc, op.getType(), adaptor.getA(), adaptor.getB(), maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction});

    // Epilogue alpha * AB + beta * C, skipped where it is the identity.
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    Value c = adaptor.getC();
    bool useC = c && beta != 0.0;
    if (alpha != 1.0 || useC) {
      Type t = op.getType().getElementType();
      SmallVector<Value> inputs = {product};
      if (useC)
        inputs.push_back(c);
      product = elementwise(
          rewriter, loc, op.getType(), inputs,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value v = args[0];
            if (alpha != 1.0)
              v = arith::MulFOp::create(
                  b, l, v, arith::ConstantOp::create(b, l, FloatAttr::get(t, alpha)));
            if (!useC)
              return v;
            Value cv = args[1];
            if (beta != 1.0)
              cv = arith::MulFOp::create(
                  b, l, cv, arith::ConstantOp::create(b, l, FloatAttr::get(t, beta)));
            return arith::AddFOp::create(b, l, v, cv).getResult();
          });
    }
    rewriter.replaceOp(op, product);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement and constants
//===----------------------------------------------------------------------===//

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value init = emptyTensor(rewriter, op.getLoc(), op.getType());
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(), init, op.getPerm());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = op.getType().getShape();
    auto shapeType = RankedTensorType::get({static_cast<int64_t>(shape.size())},
                                           rewriter.getI64Type());
    Value shapeValue = arith::ConstantOp::create(
        rewriter, loc, DenseIntElementsAttr::get(shapeType, shape));
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, op.getType(),
                                                   adaptor.getInput(),
                                                   shapeValue);
    return success();
  }
};

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getValue());
    return success();
  }
};

struct ConvertGcompToLinalgPass
    : gcomp::impl::ConvertGcompToLinalgBase<ConvertGcompToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<GcompDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    patterns.add<BinaryLowering<AddOp, arith::AddFOp, arith::AddIOp>,
                 BinaryLowering<SubOp, arith::SubFOp, arith::SubIOp>,
                 BinaryLowering<MulOp, arith::MulFOp, arith::MulIOp>,
                 BinaryLowering<DivOp, arith::DivFOp, arith::DivSIOp>,
                 UnaryLowering<ReluOp>, UnaryLowering<SigmoidOp>,
                 UnaryLowering<TanhOp>, SoftmaxLowering, MatMulLowering,
                 GemmLowering, TransposeLowering, ReshapeLowering,
                 ConstantLowering>(ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
