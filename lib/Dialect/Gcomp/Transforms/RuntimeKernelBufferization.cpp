//===- RuntimeKernelBufferization.cpp - ops the runtime computes ----------===//
//
// Graph ops marked `runtime_kernel` survive the linalg conversion and
// bufferize into a new buffer for their result and one call of the runtime
// function that computes them: pools (gcomp-pool-kernels) into
// __gcomp_pool2d_nhwc, softmaxes (gcomp-softmax-kernels) into
// __gcomp_softmax_rows, layer norms (gcomp-layer-norm-kernels) into
// __gcomp_layer_norm_rows.
//
//===----------------------------------------------------------------------===//

#include "RuntimeCallBufferization.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
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
    Value out = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(outType.getShape(), outType.getElementType()));

    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    ArrayRef<int64_t> in = pool.getInput().getType().getShape();
    ArrayRef<int64_t> kernel = pool.getKernel(), strides = pool.getStrides(),
                      dilations = pool.getDilations(), pads = pool.getPads();
    int64_t flags = 0;
    if constexpr (std::is_same_v<PoolT, AveragePoolOp>)
      flags = GCOMP_POOL_AVERAGE |
              (pool.getCountIncludePad() ? GCOMP_POOL_COUNT_INCLUDE_PAD : 0);
    SmallVector<Value> args = {
        i64(in[0]),       i64(in[1]),         i64(in[2]),
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
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    int64_t n = type.getShape().back();
    uint32_t scaleBits =
        llvm::bit_cast<uint32_t>(softmax.getScale().convertToFloat());
    SmallVector<Value> args = {i64(type.getNumElements() / n), i64(n),
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
    SmallVector<Value> addresses;
    for (Value v : {layerNorm.getInput(), layerNorm.getScale(),
                    layerNorm.getBias()}) {
      if (!v) {
        addresses.push_back(i64Constant(rewriter, loc, 0));
        continue;
      }
      FailureOr<Value> buffer = denseBuffer(rewriter, loc, v, options, state);
      if (failed(buffer))
        return failure();
      addresses.push_back(addressAsI64(rewriter, loc, *buffer));
    }
    RankedTensorType type = layerNorm.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
    int64_t n = 1;
    for (int64_t d = static_cast<int64_t>(layerNorm.getAxis());
         d < type.getRank(); ++d)
      n *= type.getDimSize(d);
    uint32_t epsilonBits =
        llvm::bit_cast<uint32_t>(layerNorm.getEpsilon().convertToFloat());
    SmallVector<Value> args = {
        i64Constant(rewriter, loc, type.getNumElements() / n),
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

} // namespace

void gcomp::registerRuntimeKernelBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, GcompDialect *) {
    MaxPoolOp::attachInterface<PoolBufferization<MaxPoolOp>>(*context);
    AveragePoolOp::attachInterface<PoolBufferization<AveragePoolOp>>(*context);
    SoftmaxOp::attachInterface<SoftmaxBufferization>(*context);
    LayerNormOp::attachInterface<LayerNormBufferization>(*context);
  });
}
