//===- DataMovementLowering.cpp - concat, gather, slice, tile to tensor ---===//

#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    // Symbolic dims: the others line up across the inputs (the runtime
    // checks them as one loop's), the axis is their sum.
    if (failed(requireAlignedDims(op, rewriter)) && !type.isDynamicDim(axis))
      return failure();
    ValueRange inputs = adaptor.getInputs();
    auto dimOf = [&](Value v, int64_t d) -> OpFoldResult {
      auto t = cast<RankedTensorType>(v.getType());
      if (!t.isDynamicDim(d))
        return rewriter.getIndexAttr(t.getDimSize(d));
      return tensor::DimOp::create(rewriter, loc, v, d).getResult();
    };
    auto addSizes = [&](OpFoldResult a, OpFoldResult b) -> OpFoldResult {
      std::optional<int64_t> x = getConstantIntValue(a), y = getConstantIntValue(b);
      if (x && y)
        return rewriter.getIndexAttr(*x + *y);
      return arith::AddIOp::create(rewriter, loc,
                                   getValueOrCreateConstantIndexOp(rewriter, loc, a),
                                   getValueOrCreateConstantIndexOp(rewriter, loc, b))
          .getResult();
    };
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      OpFoldResult size = dimOf(inputs.front(), d);
      if (d == axis)
        for (Value input : inputs.drop_front())
          size = addSizes(size, dimOf(input, d));
      dynamicSizes.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, size));
    }
    Value result = emptyTensor(rewriter, loc, type, dynamicSizes);
    OpFoldResult offset = rewriter.getIndexAttr(0);
    for (Value input : inputs) {
      auto inType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                                rewriter.getIndexAttr(1));
      for (int64_t d = 0; d < inType.getRank(); ++d)
        sizes.push_back(dimOf(input, d));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      offset = addSizes(offset, dimOf(input, axis));
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
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    int64_t idxRank = cast<RankedTensorType>(indices.getType()).getRank();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    // Symbolic dims of the indices (token ids) or of the data's other dims
    // size the result. Along a symbolic dim (the last token, x[:, -1]) the
    // indices count from and are clamped to its size at run time, and
    // nothing is read from an empty one (the result is 0 there: ONNX has
    // no valid index into it).
    Value axisSize =
        dataType.isDynamicDim(axis)
            ? tensor::DimOp::create(rewriter, op.getLoc(), data, axis)
                  .getResult()
            : Value();
    SmallVector<Value> dynamicSizes;
    RankedTensorType type = op.getType();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      auto [source, j] = d < axis ? std::pair(data, d)
                         : d < axis + idxRank
                             ? std::pair(indices, d - axis)
                             : std::pair(data, d - idxRank + 1);
      if (!cast<RankedTensorType>(source.getType()).isDynamicDim(j))
        return rewriter.notifyMatchFailure(op, "a dynamic dim from a static one");
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, op.getLoc(), source, j));
    }
    Value result = generate(
        rewriter, op.getLoc(), type,
        [&](OpBuilder &b, Location loc, ArrayRef<Value> iv) {
          SmallVector<Value> idx(iv.begin() + axis, iv.begin() + axis + idxRank);
          Value raw = tensor::ExtractOp::create(b, loc, indices, idx);
          SmallVector<Value> at(iv.begin(), iv.begin() + axis);
          at.push_back(axisSize
                           ? normalizedIndex(b, loc, raw, axisSize)
                           : normalizedIndex(b, loc, raw,
                                             dataType.getDimSize(axis)));
          at.append(iv.begin() + axis + idxRank, iv.end());
          if (!axisSize)
            return tensor::ExtractOp::create(b, loc, data, at).getResult();
          Value zero = arith::ConstantIndexOp::create(b, loc, 0);
          Value empty = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq, axisSize, zero);
          auto guarded = scf::IfOp::create(
              b, loc, TypeRange{type.getElementType()}, empty,
              /*withElseRegion=*/true);
          OpBuilder thenBuilder = guarded.getThenBodyBuilder();
          scf::YieldOp::create(
              thenBuilder, loc,
              scalarConstant(thenBuilder, loc, type.getElementType(), 0));
          OpBuilder elseBuilder = guarded.getElseBodyBuilder();
          scf::YieldOp::create(
              elseBuilder, loc,
              tensor::ExtractOp::create(elseBuilder, loc, data, at)
                  .getResult());
          return guarded.getResult(0);
        },
        dynamicSizes);
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
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    // A symbolic dim is sliced whole (the importer sees to it).
    bool wholeDynamicDims = llvm::all_of(
        llvm::seq<int64_t>(type.getRank()), [&](int64_t d) {
          return !type.isDynamicDim(d) ||
                 (op.getInput().getType().isDynamicDim(d) && starts[d] == 0 &&
                  steps[d] == 1);
        });
    if (!wholeDynamicDims)
      return rewriter.notifyMatchFailure(op, "a part of a dynamic dim");
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        offsets.push_back(rewriter.getIndexAttr(starts[d]));
        sizes.push_back(type.isDynamicDim(d)
                            ? OpFoldResult(tensor::DimOp::create(
                                               rewriter, op.getLoc(),
                                               adaptor.getInput(), d)
                                               .getResult())
                            : rewriter.getIndexAttr(type.getDimSize(d)));
        strides.push_back(rewriter.getIndexAttr(steps[d]));
      }
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, type, adaptor.getInput(), offsets, sizes, strides);
      return success();
    }
    // Negative steps read backwards: index arithmetic in a generic.
    if (failed(requireStatic(op, rewriter)))
      return failure();
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
