//===- PoolBufferization.cpp - runtime-kernel pools on buffers ------------===//
//
// A gcomp.max_pool or gcomp.average_pool marked `runtime_kernel` (see
// gcomp-pool-kernels) survives the linalg conversion and bufferizes into a
// new buffer for its result and one call of __gcomp_pool2d_nhwc.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace gcomp;

namespace {

template <typename PoolT>
struct PoolBufferization
    : BufferizableOpInterface::ExternalModel<PoolBufferization<PoolT>, PoolT> {
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

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto pool = cast<PoolT>(op);
    if (!pool.getRuntimeKernel())
      return pool.emitOpError() << "is lowered to linalg unless marked "
                                   "runtime_kernel";
    Location loc = pool.getLoc();
    FailureOr<Value> input =
        getBuffer(rewriter, pool.getInput(), options, state);
    if (failed(input))
      return failure();
    // The kernel reads a dense row-major input.
    auto inType = cast<MemRefType>(input->getType());
    if (!inType.getLayout().isIdentity()) {
      Value copy = memref::AllocOp::create(
          rewriter, loc,
          MemRefType::get(inType.getShape(), inType.getElementType()));
      memref::CopyOp::create(rewriter, loc, *input, copy);
      input = copy;
    }
    RankedTensorType outType = pool.getType();
    Value out = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(outType.getShape(), outType.getElementType()));

    auto i64 = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getI64IntegerAttr(v));
    };
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
    func::FuncOp callee = declareRuntimeFunction(
        pool->template getParentOfType<ModuleOp>(), GCOMP_SYM_POOL2D_NHWC,
        args.size(), loc);
    func::CallOp::create(rewriter, loc, callee, args);
    replaceOpWithBufferizedValues(rewriter, op, out);
    return success();
  }
};

} // namespace

void gcomp::registerPoolBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, GcompDialect *) {
    MaxPoolOp::attachInterface<PoolBufferization<MaxPoolOp>>(*context);
    AveragePoolOp::attachInterface<PoolBufferization<AveragePoolOp>>(*context);
  });
}
