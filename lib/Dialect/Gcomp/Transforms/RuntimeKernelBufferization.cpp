//===- RuntimeKernelBufferization.cpp - ops the runtime computes ----------===//
//
// Graph ops marked `runtime_kernel` survive the linalg conversion and
// bufferize into a new buffer for their result and one call of the runtime
// function that computes them: pools (gcomp-pool-kernels) into
// __gcomp_pool2d_nhwc, softmaxes (gcomp-softmax-kernels) into
// __gcomp_softmax_rows, layer norms (gcomp-layer-norm-kernels) into
// __gcomp_layer_norm_rows; gcomp.attention (gcomp-fuse-attention) likewise
// into __gcomp_attention, reading its operands with their strides, and
// gcomp.qmatmul (gcomp-integer-matmul-kernels) into __gcomp_qgemm_u8s8,
// gcomp.qconv (gcomp-integer-conv-kernels) into __gcomp_qconv2d_nhwc,
// gcomp.matmul_nbits into __gcomp_matmul_nbits.
//
//===----------------------------------------------------------------------===//

#include "RuntimeCallBufferization.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace gcomp;

namespace {

/// What every runtime-kernel op shares: it reads its input and writes a
/// new buffer.
template <typename ConcreteModel, typename OpT>
struct NewBufferModel
    : BufferizableOpInterface::ExternalModel<ConcreteModel, OpT> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }
  bool bufferizesToAllocation(Operation *, Value) const { return true; }
};

template <typename PoolT>
struct PoolBufferization
    : NewBufferModel<PoolBufferization<PoolT>, PoolT> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto pool = cast<PoolT>(op);
    if (!pool.getRuntimeKernel())
      return pool.emitOpError() << "is lowered to linalg unless marked "
                                   "runtime_kernel";
    Location loc = pool.getLoc();
    FailureOr<Value> input =
        denseBuffer(rewriter, loc, pool.getInput(), options, state);
    if (failed(input))
      return failure();
    RankedTensorType outType = pool.getType();
    // A dynamic batch (the pass marks no other dynamic pool) is the
    // input's.
    SmallVector<Value> batch;
    if (outType.isDynamicDim(0))
      batch.push_back(memref::DimOp::create(rewriter, loc, *input, 0));
    Value out = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(outType.getShape(), outType.getElementType()), batch);

    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    ArrayRef<int64_t> in = pool.getInput().getType().getShape();
    Value n = batch.empty()
                  ? i64(in[0])
                  : arith::IndexCastOp::create(rewriter, loc,
                                               rewriter.getI64Type(), batch[0])
                        .getResult();
    ArrayRef<int64_t> kernel = pool.getKernel(), strides = pool.getStrides(),
                      dilations = pool.getDilations(), pads = pool.getPads();
    int64_t flags = 0;
    if constexpr (std::is_same_v<PoolT, AveragePoolOp>)
      flags = GCOMP_POOL_AVERAGE |
              (pool.getCountIncludePad() ? GCOMP_POOL_COUNT_INCLUDE_PAD : 0);
    SmallVector<Value> args = {
        n,                i64(in[1]),         i64(in[2]),
        i64(in[3]),       i64(kernel[0]),     i64(kernel[1]),
        i64(strides[0]),  i64(strides[1]),    i64(dilations[0]),
        i64(dilations[1]), i64(pads[0]),      i64(pads[1]),
        i64(pads[2]),     i64(pads[3]),       i64(outType.getDimSize(1)),
        i64(outType.getDimSize(2)), addressAsI64(rewriter, loc, *input),
        addressAsI64(rewriter, loc, out), i64(flags)};
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_POOL2D_NHWC, args, out);
    return success();
  }
};

/// The sizes of `type`'s dynamic dims, read from `like` (a buffer of the
/// same shape).
SmallVector<Value> dynamicSizesOf(RewriterBase &rewriter, Location loc,
                                  RankedTensorType type, Value like) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(rewriter, loc, like, d));
  return sizes;
}

/// The number of rows of `n` elements in `type` (symbolic leading dims
/// from `sizes`), as an i64.
Value rowCount(RewriterBase &rewriter, Location loc, RankedTensorType type,
               ValueRange sizes, int64_t n) {
  int64_t staticRows = 1;
  for (int64_t d : type.getShape())
    if (!ShapedType::isDynamic(d))
      staticRows *= d;
  staticRows /= std::max<int64_t>(n, 1);
  Value rows = i64Constant(rewriter, loc, staticRows);
  for (Value size : sizes)
    rows = arith::MulIOp::create(
        rewriter, loc, rows,
        arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), size));
  return rows;
}

struct SoftmaxBufferization
    : NewBufferModel<SoftmaxBufferization, SoftmaxOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto softmax = cast<SoftmaxOp>(op);
    if (!softmax.getRuntimeKernel())
      return softmax.emitOpError() << "is lowered to linalg unless marked "
                                      "runtime_kernel";
    Location loc = softmax.getLoc();
    FailureOr<Value> input =
        denseBuffer(rewriter, loc, softmax.getInput(), options, state);
    if (failed(input))
      return failure();
    RankedTensorType type = softmax.getType();
    // Symbolic leading dims (the pass keeps the row static) are rows.
    SmallVector<Value> sizes = dynamicSizesOf(rewriter, loc, type, *input);
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        sizes);
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    int64_t n = type.getShape().back();
    uint32_t scaleBits =
        llvm::bit_cast<uint32_t>(softmax.getScale().convertToFloat());
    SmallVector<Value> args = {rowCount(rewriter, loc, type, sizes, n), i64(n),
                               addressAsI64(rewriter, loc, *input),
                               addressAsI64(rewriter, loc, out),
                               i64(static_cast<int64_t>(scaleBits))};
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_SOFTMAX_ROWS, args, out);
    return success();
  }
};

struct LayerNormBufferization
    : NewBufferModel<LayerNormBufferization, LayerNormOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto layerNorm = cast<LayerNormOp>(op);
    if (!layerNorm.getRuntimeKernel())
      return layerNorm.emitOpError() << "is lowered to linalg unless marked "
                                        "runtime_kernel";
    Location loc = layerNorm.getLoc();
    // Scale and bias are rows of the normalized size (the verifier checks
    // it); an absent one is a null pointer.
    SmallVector<Value> addresses, buffers;
    for (Value v : {layerNorm.getInput(), layerNorm.getScale(),
                    layerNorm.getBias()}) {
      if (!v) {
        addresses.push_back(i64Constant(rewriter, loc, 0));
        continue;
      }
      FailureOr<Value> buffer = denseBuffer(rewriter, loc, v, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
      addresses.push_back(addressAsI64(rewriter, loc, *buffer));
    }
    RankedTensorType type = layerNorm.getType();
    // Symbolic leading dims (the pass keeps the rows static) are rows.
    SmallVector<Value> sizes = dynamicSizesOf(rewriter, loc, type, buffers[0]);
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        sizes);
    int64_t n = 1;
    for (int64_t d = static_cast<int64_t>(layerNorm.getAxis());
         d < type.getRank(); ++d)
      n *= type.getDimSize(d);
    uint32_t epsilonBits =
        llvm::bit_cast<uint32_t>(layerNorm.getEpsilon().convertToFloat());
    SmallVector<Value> args = {
        rowCount(rewriter, loc, type, sizes, n),
        i64Constant(rewriter, loc, n),
        addresses[0],
        addressAsI64(rewriter, loc, out),
        addresses[1],
        addresses[2],
        i64Constant(rewriter, loc, static_cast<int64_t>(epsilonBits))};
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_LAYER_NORM_ROWS, args, out);
    return success();
  }
};

/// The address (i64) of `buffer`'s logical view `transpose(buffer, perm)`
/// and its element strides and sizes (i64 values, constants where the
/// type gives them), or failure if `buffer` is not strided.
struct StridedOperand {
  Value address;
  SmallVector<Value> strides, sizes;
};
FailureOr<StridedOperand> stridedOperand(RewriterBase &rewriter, Location loc,
                                         Value buffer, ArrayRef<int64_t> perm) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return failure();
  auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                      index);
  };
  // Symbolic sizes give symbolic strides and offsets: read them from the
  // descriptor.
  memref::ExtractStridedMetadataOp metadata;
  if (!type.hasStaticShape() || ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    metadata = memref::ExtractStridedMetadataOp::create(rewriter, loc, buffer);
  Value address = addressAsI64(rewriter, loc, buffer);
  if (ShapedType::isDynamic(offset)) {
    Value bytes = arith::MulIOp::create(
        rewriter, loc, toI64(metadata.getOffset()), i64(4));
    address = arith::AddIOp::create(rewriter, loc, address, bytes);
  } else if (offset) {
    address = arith::AddIOp::create(rewriter, loc, address, i64(offset * 4));
  }
  StridedOperand result{address, {}, {}};
  for (size_t i = 0; i < strides.size(); ++i) {
    size_t d = perm.empty() ? i : perm[i];
    result.strides.push_back(ShapedType::isDynamic(strides[d])
                                 ? toI64(metadata.getStrides()[d])
                                 : i64(strides[d]));
    result.sizes.push_back(type.isDynamicDim(d)
                               ? toI64(metadata.getSizes()[d])
                               : i64(type.getDimSize(d)));
  }
  return result;
}

struct AttentionBufferization
    : NewBufferModel<AttentionBufferization, AttentionOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto attention = cast<AttentionOp>(op);
    Location loc = attention.getLoc();
    SmallVector<StridedOperand> operands;
    for (auto [value, perm] :
         {std::pair{attention.getQuery(), attention.getQueryPerm()},
          {attention.getKeyT(), attention.getKeyTPerm()},
          {attention.getValue(), attention.getValuePerm()}}) {
      // The kernel reads any strides (the heads as the projections left
      // them); another layout is copied first.
      FailureOr<Value> buffer = getBuffer(rewriter, value, options, state);
      if (failed(buffer))
        return failure();
      FailureOr<StridedOperand> strided =
          stridedOperand(rewriter, loc, *buffer, perm);
      if (failed(strided)) {
        buffer = denseBuffer(rewriter, loc, value, options, state);
        if (failed(buffer))
          return failure();
        strided = stridedOperand(rewriter, loc, *buffer, perm);
      }
      operands.push_back(*strided);
    }
    // (Copies: `operands` grows below.)
    SmallVector<Value> q = operands[0].sizes, kt = operands[1].sizes,
                       v = operands[2].sizes;
    size_t rank = q.size();

    // The result's symbolic dims: the logical output [heads..., s, dv] has
    // the query's heads and s and the value's dv; the result's dim i is
    // the logical dim perm[i].
    RankedTensorType type = attention.getType();
    ArrayRef<int64_t> resultPerm = attention.getResultPerm();
    SmallVector<Value> dynamicSizes;
    for (int64_t i = 0; i < type.getRank(); ++i) {
      if (!type.isDynamicDim(i))
        continue;
      size_t logical = resultPerm.empty() ? i : resultPerm[i];
      Value size = logical == rank - 1 ? v[rank - 1] : q[logical];
      dynamicSizes.push_back(arith::IndexCastOp::create(
          rewriter, loc, rewriter.getIndexType(), size));
    }
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        dynamicSizes);
    // The logical output's dim i is the result's dim inverse(perm)[i].
    SmallVector<int64_t> toLogical =
        resultPerm.empty() ? SmallVector<int64_t>()
                           : invertPermutationVector(resultPerm);
    operands.push_back(*stridedOperand(rewriter, loc, out, toLogical));

    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    // One head dim: the first of the kernel's two has size 1.
    bool twoHeadDims = rank == 4;
    SmallVector<Value> args = {twoHeadDims ? q[0] : i64(1),
                               q[rank - 3],
                               q[rank - 2],
                               kt[rank - 1],
                               q[rank - 1],
                               v[rank - 1]};
    for (const StridedOperand &o : operands) {
      args.push_back(o.address);
      args.push_back(twoHeadDims ? o.strides[0] : i64(0));
      for (size_t i = rank - 3; i < rank; ++i)
        args.push_back(o.strides[i]);
    }
    // The mask, broadcast to the scores [heads..., s, t]: stride 0 along
    // the dims it lacks or has as 1 (a symbolic dim is the scores' size,
    // which gcomp-symbolic-dims checks).
    if (Value mask = attention.getMask()) {
      FailureOr<Value> buffer = denseBuffer(rewriter, loc, mask, options, state);
      if (failed(buffer))
        return failure();
      FailureOr<StridedOperand> strided =
          stridedOperand(rewriter, loc, *buffer, {});
      if (failed(strided))
        return failure();
      ArrayRef<int64_t> shape = cast<ShapedType>(mask.getType()).getShape();
      SmallVector<Value> strides(rank, i64(0));
      size_t lead = rank - shape.size();
      for (size_t i = 0; i < shape.size(); ++i)
        if (shape[i] != 1)
          strides[lead + i] = strided->strides[i];
      args.push_back(strided->address);
      args.push_back(twoHeadDims ? strides[0] : i64(0));
      for (size_t i = rank - 3; i < rank; ++i)
        args.push_back(strides[i]);
    } else {
      for (int i = 0; i < 5; ++i)
        args.push_back(i64(0));
    }
    uint32_t scaleBits =
        llvm::bit_cast<uint32_t>(attention.getScale().convertToFloat());
    args.push_back(i64(static_cast<int64_t>(scaleBits)));
    args.push_back(i64(attention.getCausal() ? GCOMP_ATTENTION_CAUSAL : 0));
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_ATTENTION, args, out);
    return success();
  }
};

/// gcomp.qmatmul: __gcomp_qgemm_u8s8 over all rows of the lhs at once
/// (the weights are one matrix for every batch index).
struct QMatMulBufferization
    : NewBufferModel<QMatMulBufferization, QMatMulOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto qmatmul = cast<QMatMulOp>(op);
    Location loc = qmatmul.getLoc();
    FailureOr<SmallVector<Value>> addressList = operandAddresses(
        rewriter, loc,
        {qmatmul.getLhs(), qmatmul.getLhsZeroPoint(), qmatmul.getRhsPacked(),
         qmatmul.getRhsSums()},
        options, state);
    if (failed(addressList))
      return failure();
    SmallVector<Value> &addresses = *addressList;
    RankedTensorType type = qmatmul.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    int64_t k = static_cast<int64_t>(qmatmul.getK()),
            n = static_cast<int64_t>(qmatmul.getN());
    SmallVector<Value> args = {
        i64(type.getNumElements() / n), i64(n), i64(k),
        addresses[0], i64(k), addresses[1], addresses[2], addresses[3],
        addressAsI64(rewriter, loc, out), i64(n),
        i64(qmatmul.getLhsSigned() ? GCOMP_QGEMM_A_SIGNED : 0)};
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_QGEMM, args, out);
    return success();
  }
};

/// gcomp.qconv: one call of __gcomp_qconv2d_nhwc.
struct QConvBufferization : NewBufferModel<QConvBufferization, QConvOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto qconv = cast<QConvOp>(op);
    Location loc = qconv.getLoc();
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    FailureOr<SmallVector<Value>> addressList = operandAddresses(
        rewriter, loc,
        {qconv.getInput(), qconv.getInputZeroPoint(),
         qconv.getWeightPacked(), qconv.getWeightSums(), qconv.getScale(),
         qconv.getBias()},
        options, state);
    if (failed(addressList))
      return failure();
    SmallVector<Value> &addresses = *addressList;
    RankedTensorType type = qconv.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    ArrayRef<int64_t> in = qconv.getInput().getType().getShape();
    ArrayRef<int64_t> kernel = qconv.getKernel(), strides = qconv.getStrides(),
                      dilations = qconv.getDilations(), pads = qconv.getPads();
    Type element = type.getElementType();
    int64_t flags = qconv.getInputSigned() ? GCOMP_QCONV_INPUT_SIGNED : 0;
    if (element.isF32())
      flags |= GCOMP_QCONV_OUT_F32;
    else if (element.isSignlessInteger(8))
      flags |= GCOMP_QCONV_OUT_Q8 |
               (qconv.getResultSigned() ? GCOMP_QCONV_OUT_SIGNED : 0);
    if (qconv.getRelu())
      flags |= GCOMP_QCONV_RELU;
    uint64_t requant = 0;
    if (std::optional<APFloat> scale = qconv.getOutScale()) {
      uint64_t scaleBits = llvm::bit_cast<uint32_t>(scale->convertToFloat());
      uint64_t zeroBits = llvm::bit_cast<uint32_t>(
          qconv.getOutZeroPoint()->convertToFloat());
      requant = zeroBits << 32 | scaleBits;
    }
    SmallVector<Value> args = {
        i64(in[0]),           i64(in[1]),        i64(in[2]),
        i64(in[3]),           i64(kernel[0]),    i64(kernel[1]),
        i64(strides[0]),      i64(strides[1]),   i64(dilations[0]),
        i64(dilations[1]),    i64(pads[0]),      i64(pads[1]),
        i64(type.getDimSize(1)), i64(type.getDimSize(2)),
        i64(type.getDimSize(3)), i64(static_cast<int64_t>(qconv.getKPacked())),
        addresses[0],         addresses[1],      addresses[2],
        addresses[3],         addresses[4],      addresses[5],
        i64(static_cast<int64_t>(requant)),
        addressAsI64(rewriter, loc, out),        i64(flags)};
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_QCONV2D_NHWC, args, out);
    return success();
  }
};

/// gcomp.non_max_suppression: one call of __gcomp_nms, which writes the
/// selected rows and their number.
struct NmsBufferization
    : NewBufferModel<NmsBufferization, NonMaxSuppressionOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto nms = cast<NonMaxSuppressionOp>(op);
    Location loc = nms.getLoc();
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    FailureOr<SmallVector<Value>> addressList = operandAddresses(
        rewriter, loc,
        {nms.getBoxes(), nms.getScores(), nms.getMaxOutputBoxesPerClass(),
         nms.getIouThreshold(), nms.getScoreThreshold()},
        options, state);
    if (failed(addressList))
      return failure();
    SmallVector<Value> &addresses = *addressList;
    RankedTensorType selectedType = nms.getSelected().getType(),
                     countType = nms.getCount().getType();
    Value selected = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(selectedType.getShape(), selectedType.getElementType()));
    Value count = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(countType.getShape(), countType.getElementType()));
    ArrayRef<int64_t> boxes = nms.getBoxes().getType().getShape();
    int64_t lists = boxes[0] * nms.getScores().getType().getDimSize(1);
    int64_t perList = lists ? selectedType.getDimSize(0) / lists : 0;
    SmallVector<Value> args = {
        i64(boxes[0]),
        i64(nms.getScores().getType().getDimSize(1)),
        i64(boxes[1]),
        i64(perList),
        addresses[0],
        addresses[1],
        addresses[2],
        addresses[3],
        addresses[4],
        addressAsI64(rewriter, loc, selected),
        addressAsI64(rewriter, loc, count),
        i64(nms.getCenterPointBox() ? GCOMP_NMS_CENTER_POINT_BOX : 0)};
    func::FuncOp callee = declareRuntimeFunction(
        op->getParentOfType<ModuleOp>(), GCOMP_SYM_NMS, args.size(), loc);
    func::CallOp::create(rewriter, loc, callee, args);
    replaceOpWithBufferizedValues(rewriter, op, {selected, count});
    return success();
  }
};

/// gcomp.grid_sample: one call of __gcomp_grid_sample.
struct GridSampleBufferization
    : NewBufferModel<GridSampleBufferization, GridSampleOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto sample = cast<GridSampleOp>(op);
    Location loc = sample.getLoc();
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    FailureOr<SmallVector<Value>> addressList = operandAddresses(
        rewriter, loc,
        {sample.getInput(), sample.getGrid()},
        options, state);
    if (failed(addressList))
      return failure();
    SmallVector<Value> &addresses = *addressList;
    RankedTensorType type = sample.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    ArrayRef<int64_t> in = sample.getInput().getType().getShape();
    int64_t rank = type.getRank() - 2;
    SmallVector<Value> args = {i64(in[0]), i64(in[1]), i64(rank)};
    for (int64_t d = 0; d < 3; ++d)
      args.push_back(i64(d < rank ? in[2 + d] : 1));
    for (int64_t d = 0; d < 3; ++d)
      args.push_back(i64(d < rank ? type.getDimSize(2 + d) : 1));
    int64_t flags =
        llvm::StringSwitch<int64_t>(sample.getMode())
            .Case("linear", GCOMP_GRID_SAMPLE_LINEAR)
            .Case("cubic", GCOMP_GRID_SAMPLE_CUBIC)
            .Default(GCOMP_GRID_SAMPLE_NEAREST) |
        llvm::StringSwitch<int64_t>(sample.getPaddingMode())
            .Case("border", GCOMP_GRID_SAMPLE_PAD_BORDER)
            .Case("reflection", GCOMP_GRID_SAMPLE_PAD_REFLECTION)
            .Default(GCOMP_GRID_SAMPLE_PAD_ZEROS) |
        (sample.getAlignCorners() ? GCOMP_GRID_SAMPLE_ALIGN_CORNERS : 0);
    args.append({addresses[0], addresses[1], addressAsI64(rewriter, loc, out),
                 i64(flags)});
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_GRID_SAMPLE, args, out);
    return success();
  }
};

/// gcomp.roi_align: one call of __gcomp_roi_align.
struct RoiAlignBufferization
    : NewBufferModel<RoiAlignBufferization, RoiAlignOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto roiAlign = cast<RoiAlignOp>(op);
    Location loc = roiAlign.getLoc();
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    FailureOr<SmallVector<Value>> addressList = operandAddresses(
        rewriter, loc,
        {roiAlign.getInput(), roiAlign.getRois(), roiAlign.getBatchIndices()},
        options, state);
    if (failed(addressList))
      return failure();
    SmallVector<Value> &addresses = *addressList;
    RankedTensorType type = roiAlign.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    ArrayRef<int64_t> in = roiAlign.getInput().getType().getShape();
    uint32_t scaleBits =
        llvm::bit_cast<uint32_t>(roiAlign.getSpatialScale().convertToFloat());
    int64_t flags = (roiAlign.getMode() == "max" ? GCOMP_ROI_ALIGN_MAX : 0) |
                    (roiAlign.getHalfPixel() ? GCOMP_ROI_ALIGN_HALF_PIXEL : 0);
    SmallVector<Value> args = {
        i64(in[0]),           i64(in[1]),           i64(in[2]),
        i64(in[3]),           i64(type.getDimSize(0)), i64(type.getDimSize(2)),
        i64(type.getDimSize(3)), addresses[0],      addresses[1],
        addresses[2],         addressAsI64(rewriter, loc, out),
        i64(static_cast<int64_t>(roiAlign.getSamplingRatio())),
        i64(static_cast<int64_t>(scaleBits)), i64(flags)};
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_ROI_ALIGN, args, out);
    return success();
  }
};

/// gcomp.matmul_nbits: one call of __gcomp_matmul_nbits over all rows.
struct MatMulNBitsBufferization
    : NewBufferModel<MatMulNBitsBufferization, MatMulNBitsOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto product = cast<MatMulNBitsOp>(op);
    Location loc = product.getLoc();
    FailureOr<SmallVector<Value>> addresses = operandAddresses(
        rewriter, loc,
        {product.getLhs(), product.getWeights(), product.getScales(),
         product.getZeroPoints(), product.getBias()},
        options, state);
    if (failed(addresses))
      return failure();
    RankedTensorType type = product.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    int64_t n = type.getShape().back(),
            k = product.getLhs().getType().getShape().back();
    SmallVector<Value> args = {i64(type.getNumElements() / n), i64(n), i64(k)};
    llvm::append_range(args, *addresses);
    args.push_back(addressAsI64(rewriter, loc, out));
    args.push_back(i64(static_cast<int64_t>(product.getBits())));
    args.push_back(i64(static_cast<int64_t>(product.getBlockSize())));
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_MATMUL_NBITS, args, out);
    return success();
  }
};

/// gcomp.det: one call of __gcomp_det.
struct DetBufferization : NewBufferModel<DetBufferization, DetOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto det = cast<DetOp>(op);
    Location loc = det.getLoc();
    FailureOr<Value> input =
        denseBuffer(rewriter, loc, det.getInput(), options, state);
    if (failed(input))
      return failure();
    RankedTensorType type = det.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    int64_t n = det.getInput().getType().getShape().back();
    SmallVector<Value> args = {i64Constant(rewriter, loc, type.getNumElements()),
                               i64Constant(rewriter, loc, n),
                               addressAsI64(rewriter, loc, *input),
                               addressAsI64(rewriter, loc, out)};
    callRuntimeAndReplace(rewriter, op, GCOMP_SYM_DET, args, out);
    return success();
  }
};

} // namespace

void gcomp::registerRuntimeKernelBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, GcompDialect *) {
    MaxPoolOp::attachInterface<PoolBufferization<MaxPoolOp>>(*context);
    AveragePoolOp::attachInterface<PoolBufferization<AveragePoolOp>>(*context);
    SoftmaxOp::attachInterface<SoftmaxBufferization>(*context);
    LayerNormOp::attachInterface<LayerNormBufferization>(*context);
    AttentionOp::attachInterface<AttentionBufferization>(*context);
    QMatMulOp::attachInterface<QMatMulBufferization>(*context);
    QConvOp::attachInterface<QConvBufferization>(*context);
    NonMaxSuppressionOp::attachInterface<NmsBufferization>(*context);
    GridSampleOp::attachInterface<GridSampleBufferization>(*context);
    RoiAlignOp::attachInterface<RoiAlignBufferization>(*context);
    DetOp::attachInterface<DetBufferization>(*context);
    MatMulNBitsOp::attachInterface<MatMulNBitsBufferization>(*context);
  });
}
