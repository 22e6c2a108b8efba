//===- DataMovementLowering.cpp - concat, gather, slice, tile to tensor ---===//

#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t axis = static_cast<int64_t>(op.getAxis()), offset = 0;
    Value result = emptyTensor(rewriter, loc, type);
    for (Value input : adaptor.getInputs()) {
      auto inType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[axis] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                                rewriter.getIndexAttr(1));
      for (int64_t d : inType.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      offset += inType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    int64_t idxRank = cast<RankedTensorType>(indices.getType()).getRank();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    Value result = generate(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location loc, ArrayRef<Value> iv) {
          SmallVector<Value> idx(iv.begin() + axis, iv.begin() + axis + idxRank);
          Value raw = tensor::ExtractOp::create(b, loc, indices, idx);
          SmallVector<Value> at(iv.begin(), iv.begin() + axis);
          at.push_back(normalizedIndex(b, loc, raw, dataType.getDimSize(axis)));
          at.append(iv.begin() + axis + idxRank, iv.end());
          return tensor::ExtractOp::create(b, loc, data, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    int64_t size = cast<RankedTensorType>(data.getType()).getDimSize(axis);
    Value result = generate(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location loc, ArrayRef<Value> iv) {
          SmallVector<Value> at(iv.begin(), iv.end());
          at[axis] = normalizedIndex(
              b, loc, tensor::ExtractOp::create(b, loc, indices, iv), size);
          return tensor::ExtractOp::create(b, loc, data, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// result[i..., j...] = data[b..., t..., j...] where b are the batch dims
/// (the leading dims of i) and t the tuple `indices[i..., :]`.
struct GatherNDLowering : OpConversionPattern<GatherNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto idxType = cast<RankedTensorType>(indices.getType());
    int64_t batch = static_cast<int64_t>(op.getBatchDims());
    int64_t tuple = idxType.getShape().back();
    int64_t outer = idxType.getRank() - 1;
    Value result = generate(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location loc, ArrayRef<Value> iv) {
          SmallVector<Value> at(iv.begin(), iv.begin() + batch);
          SmallVector<Value> idx(iv.begin(), iv.begin() + outer);
          idx.push_back(Value());
          for (int64_t j = 0; j < tuple; ++j) {
            idx.back() = arith::ConstantIndexOp::create(b, loc, j);
            Value raw = tensor::ExtractOp::create(b, loc, indices, idx);
            at.push_back(normalizedIndex(b, loc, raw,
                                         dataType.getDimSize(batch + j)));
          }
          at.append(iv.begin() + outer, iv.end());
          return tensor::ExtractOp::create(b, loc, data, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        offsets.push_back(rewriter.getIndexAttr(starts[d]));
        sizes.push_back(rewriter.getIndexAttr(type.getDimSize(d)));
        strides.push_back(rewriter.getIndexAttr(steps[d]));
      }
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, type, adaptor.getInput(), offsets, sizes, strides);
      return success();
    }
    // Negative steps read backwards: index arithmetic in a generic.
    Value input = adaptor.getInput();
    Value result = generate(
        rewriter, op.getLoc(), type,
        [&](OpBuilder &b, Location loc, ArrayRef<Value> iv) {
          SmallVector<Value> at;
          for (auto [d, i] : llvm::enumerate(iv)) {
            Value scaled = arith::MulIOp::create(
                b, loc, i, arith::ConstantIndexOp::create(b, loc, steps[d]));
            at.push_back(arith::AddIOp::create(
                b, loc, scaled, arith::ConstantIndexOp::create(b, loc, starts[d])));
          }
          return tensor::ExtractOp::create(b, loc, input, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TileLowering : OpConversionPattern<TileOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    Value result = generate(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location loc, ArrayRef<Value> iv) {
          SmallVector<Value> at;
          for (auto [d, i] : llvm::enumerate(iv))
            at.push_back(arith::RemUIOp::create(
                b, loc, i,
                arith::ConstantIndexOp::create(b, loc, inType.getDimSize(d))));
          return tensor::ExtractOp::create(b, loc, input, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void gcomp::lowering::populateDataMovementLowering(RewritePatternSet &patterns) {
  patterns.add<ConcatLowering, GatherLowering, GatherElementsLowering,
               GatherNDLowering, SliceLowering, TileLowering>(
      patterns.getContext());
}
