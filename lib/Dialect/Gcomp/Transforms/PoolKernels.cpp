//===- PoolKernels.cpp - pools as one runtime kernel each -----------------===//
//
// Lowered through linalg, a padded max pool is four kernels (fill a padded
// buffer with -inf, copy the input into it, fill the result, reduce the
// windows) and a buffer as large as its input; ResNet's stem pool alone
// held a third of the model's peak memory. The runtime's pooling kernel
// clips the windows at the padding instead, so this pass marks the pools it
// can compute, and turns a mean or max over the spatial dims of a
// channels-last tensor (how ONNX's GlobalAveragePool arrives here) into
// such a pool.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPPOOLKERNELS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// f32 of `rank`, static but for the batch dim (the kernel's n argument).
bool isStaticF32(Type type, int64_t rank) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == rank && isStaticButBatch(tensor) &&
         tensor.getElementType().isF32();
}

/// reduce_{mean,max}(x: [N, H, W, C], axes = [1, 2]) as a pool whose
/// window is the whole H x W image.
template <typename PoolT, typename ReduceT>
void rewriteSpatialReduce(ReduceT reduce) {
  Value input = reduce.getInput();
  if (!isStaticF32(input.getType(), 4) ||
      reduce.getAxes() != ArrayRef<int64_t>{1, 2})
    return;
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t h = inType.getDimSize(1), w = inType.getDimSize(2);
  if (h == 0 || w == 0)
    return;
  OpBuilder b(reduce);
  auto pooledType = inType.clone(
      SmallVector<int64_t>{inType.getDimSize(0), 1, 1, inType.getDimSize(3)});
  auto pool = PoolT::create(
      b, reduce.getLoc(), pooledType, input, b.getDenseI64ArrayAttr({h, w}),
      b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr({1, 1}),
      b.getDenseI64ArrayAttr({0, 0, 0, 0}), b.getBoolAttr(false),
      b.getUnitAttr(), b.getUnitAttr());
  Value result = pool.getResult();
  if (result.getType() != reduce.getType())
    result = ReshapeOp::create(b, reduce.getLoc(), reduce.getType(), result);
  reduce.getResult().replaceAllUsesWith(result);
  reduce.erase();
}

template <typename PoolT> void markPool(PoolT pool) {
  if (pool.getChannelsLast() && isStaticF32(pool.getInput().getType(), 4) &&
      isStaticF32(pool.getType(), 4))
    pool.setRuntimeKernel(true);
}

struct PoolKernelsPass
    : gcomp::impl::GcompPoolKernelsBase<PoolKernelsPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      if (auto mean = dyn_cast<ReduceMeanOp>(op))
        rewriteSpatialReduce<AveragePoolOp>(mean);
      else if (auto max = dyn_cast<ReduceMaxOp>(op))
        rewriteSpatialReduce<MaxPoolOp>(max);
      else if (auto pool = dyn_cast<MaxPoolOp>(op))
        markPool(pool);
      else if (auto pool = dyn_cast<AveragePoolOp>(op))
        markPool(pool);
    });
  }
};

} // namespace
