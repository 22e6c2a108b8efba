//===- GcompToLinalg.cpp - gcomp graph ops to linalg on tensors -----------===//
//
// Each gcomp op becomes destination-style linalg/tensor/arith/math IR.
// Broadcasting is expressed in indexing maps (a size-1 dim that broadcasts
// reads index 0), so no broadcast copies are materialized; the upstream
// elementwise fusion that runs next merges the resulting generics.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Conversion/Passes.h"
#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace gcomp {
#define GEN_PASS_DEF_CONVERTGCOMPTOLINALG
#include "gcomp/Conversion/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// The contraction `maps` describe; f16 and bf16 accumulate in f32 and
/// round once at the end (sums of hundreds of half-precision products lose
/// digits otherwise, and onnxruntime accumulates in f32 too).
Value contraction(OpBuilder &b, Location loc, RankedTensorType resultType,
                  Value lhs, Value rhs, ArrayRef<AffineMap> maps,
                  ArrayRef<utils::IteratorType> iterators) {
  Type elem = resultType.getElementType();
  bool half = isa<FloatType>(elem) && elem.getIntOrFloatBitWidth() < 32;
  RankedTensorType accType = half ? resultType.clone(b.getF32Type()) : resultType;
  // A dynamic result dim is a loop of the contraction, which an operand
  // reads along one of its dims: that dim's size is the result's.
  SmallVector<Value> sizes;
  AffineMap outMap = maps.back();
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    unsigned loop = cast<AffineDimExpr>(outMap.getResult(d)).getPosition();
    for (auto [operand, map] : llvm::zip(ValueRange{lhs, rhs}, maps)) {
      auto type = cast<RankedTensorType>(operand.getType());
      std::optional<unsigned> pos =
          map.getResultPosition(getAffineDimExpr(loop, b.getContext()));
      if (pos && type.isDynamicDim(*pos)) {
        sizes.push_back(tensor::DimOp::create(b, loc, operand, *pos));
        break;
      }
    }
  }
  assert(static_cast<int64_t>(sizes.size()) == resultType.getNumDynamicDims());
  Value acc = filledTensor(b, loc, accType, zeroAttr(accType.getElementType()),
                           sizes);
  Value sum = linalg::GenericOp::create(
                  b, loc, accType, ValueRange{lhs, rhs}, acc, maps, iterators,
                  [&](OpBuilder &nb, Location l, ValueRange args) {
                    Value x = args[0], y = args[1];
                    if (half) {
                      x = arith::ExtFOp::create(nb, l, nb.getF32Type(), x);
                      y = arith::ExtFOp::create(nb, l, nb.getF32Type(), y);
                    }
                    linalg::YieldOp::create(nb, l, multiplyAdd(nb, l, x, y, args[2]));
                  })
                  .getResult(0);
  if (!half)
    return sum;
  return elementwise(b, loc, resultType, sum,
                     [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                       return arith::TruncFOp::create(nb, l, elem, args[0]);
                     });
}

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    // Symbolic rows and batch dims are loops like any other; a symbolic
    // inner dim or a batch dim that may broadcast at run time is not.
    if (failed(requireStatic(op, rewriter))) {
      auto lhs = cast<RankedTensorType>(op.getLhs().getType());
      auto rhs = cast<RankedTensorType>(op.getRhs().getType());
      RankedTensorType out = op.getType();
      // The inner dim is one loop over both: symbolic on both sides (the
      // run checks they agree) or static on both.
      if (lhs.getRank() < 2 || rhs.getRank() < 2 ||
          lhs.isDynamicDim(lhs.getRank() - 1) !=
              rhs.isDynamicDim(rhs.getRank() - 2))
        return rewriter.notifyMatchFailure(op, "inner dim symbolic on one side");
      int64_t batch = out.getRank() - 2;
      for (RankedTensorType t : {lhs, rhs})
        for (int64_t j = 0; j + 2 < t.getRank(); ++j)
          if (t.isDynamicDim(j) &&
              !out.isDynamicDim(j + batch - (t.getRank() - 2)))
            return rewriter.notifyMatchFailure(op, "dynamic batch broadcast");
      for (int64_t j = 0; j < batch; ++j) {
        if (!out.isDynamicDim(j))
          continue;
        bool given = false;
        for (RankedTensorType t : {lhs, rhs}) {
          int64_t k = j - (batch - (t.getRank() - 2));
          given |= k >= 0 && t.isDynamicDim(k);
        }
        if (!given)
          return rewriter.notifyMatchFailure(op, "dynamic batch dim");
      }
    }
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
    // Symbolic rows (a batch of feature vectors) are a loop like any other.
    if (failed(requireStatic(op, rewriter))) {
      auto a = cast<RankedTensorType>(op.getA().getType());
      auto b = cast<RankedTensorType>(op.getB().getType());
      auto c = op.getC() ? dyn_cast<RankedTensorType>(op.getC().getType())
                         : RankedTensorType();
      if (op.getTransA() || a.isDynamicDim(1) || !b.hasStaticShape() ||
          (c && !c.hasStaticShape()))
        return rewriter.notifyMatchFailure(op, "dynamic dims besides rows");
    }
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
    // Result dim i is input dim perm[i], dynamic or not.
    SmallVector<Value> sizes;
    for (auto [i, p] : llvm::enumerate(op.getPerm()))
      if (op.getType().isDynamicDim(i))
        sizes.push_back(
            tensor::DimOp::create(rewriter, op.getLoc(), adaptor.getInput(), p));
    Value init = emptyTensor(rewriter, op.getLoc(), op.getType(), sizes);
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
    // Symbolic dims: a merge or a split of whole dims, or sizes given (or
    // one dynamic dim, the element count over the static dims), through
    // one flat dim.
    RankedTensorType type = op.getType();
    auto source = cast<RankedTensorType>(adaptor.getInput().getType());
    // More dynamic dims than the input has: a split, whose sizes it needs.
    if (adaptor.getSizes().empty() &&
        type.getNumDynamicDims() > source.getNumDynamicDims())
      return rewriter.notifyMatchFailure(op, "sizes of a split unknown");
    if (failed(requireStatic(op, rewriter)) &&
        (!adaptor.getSizes().empty() || !isSymbolicReshape(source, type))) {
      if (adaptor.getSizes().empty() && type.getNumDynamicDims() > 1)
        return rewriter.notifyMatchFailure(op, "sizes of a split unknown");
      // Rows of a product ([b, s, 64] to [?, 1, 1, 64]): a merge into the
      // result's dims other than 1, then unit dims added.
      RankedTensorType middle = withoutUnitDims(type);
      if (adaptor.getSizes().empty() && middle.getRank() < source.getRank())
        if (auto merge = getReassociationIndicesForReshape(source, middle)) {
          Value v = tensor::CollapseShapeOp::create(
              rewriter, op.getLoc(), middle, adaptor.getInput(), *merge);
          rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), v, type));
          return success();
        }
      rewriter.replaceOp(op, reshapeThroughFlat(rewriter, op.getLoc(),
                                                adaptor.getInput(), type,
                                                adaptor.getSizes()));
      return success();
    }
    rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), adaptor.getInput(),
                                     type));
    return success();
  }
};

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // A large splat becomes a fill: as a global it would be written out
    // element by element (a ConstantOfShape of 2^32 floats would need 16 GB
    // while compiling, and as much in the .so).
    auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
    auto type = cast<RankedTensorType>(op.getType());
    if (dense && dense.isSplat() && type.hasStaticShape() &&
        type.getNumElements() > kFoldElementLimit) {
      Location loc = op.getLoc();
      Value scalar = arith::ConstantOp::create(
          rewriter, loc, cast<TypedAttr>(dense.getSplatValue<Attribute>()));
      Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                            type.getElementType());
      rewriter.replaceOpWithNewOp<linalg::FillOp>(op, scalar, empty);
      return success();
    }
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
    // Bufferizes straight into the runtime's conv kernel.
    target.addLegalOp<FusedConvOp>();
    // So does attention, into the runtime's attention kernel.
    target.addLegalOp<AttentionOp>();
    // gcomp-integer-matmul-kernels' runtime calls.
    target.addLegalOp<QMatMulOp, QConvOp>();
    // MatMulNBits is the runtime's __gcomp_matmul_nbits.
    target.addLegalOp<MatMulNBitsOp>();
    // NonMaxSuppression is the runtime's __gcomp_nms.
    target.addLegalOp<NonMaxSuppressionOp>();
    // And GridSample its __gcomp_grid_sample.
    target.addLegalOp<GridSampleOp, RoiAlignOp, DetOp>();
    // Pools, softmaxes and layer norms that the runtime computes bufferize
    // into its call.
    target.addDynamicallyLegalOp<MaxPoolOp, AveragePoolOp, SoftmaxOp,
                                 LayerNormOp>(
        [](Operation *op) { return op->hasAttr("runtime_kernel"); });
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    patterns.add<MatMulLowering, GemmLowering, TransposeLowering,
                 ReshapeLowering, ConstantLowering>(ctx);
    populateElementwiseLowering(patterns);
    populateReductionLowering(patterns);
    populateDataMovementLowering(patterns);
    populateConvLowering(patterns);
    populateIndexedUpdateLowering(patterns);
    populateResizeLowering(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
