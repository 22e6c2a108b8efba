//===- MapToGpu.cpp - one GPU kernel per loop nest ------------------------===//
//
// After linalg is lowered to loops, the entry of a static model is a
// straight line of loop nests between view computations. Every loop nest
// becomes a kernel. The mapping is deliberately simple and always valid:
// one thread per iteration of the parallel loops, on a 1-D grid (no grid
// dimension limit to respect, whatever the loop's shape), the linear thread
// id split into the induction variables with the innermost fastest, which
// is the dimension the buffers are contiguous in.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "GpuLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPMAPTOGPU
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// A launch of `grid` blocks of `block` threads whose body is empty but for
/// its terminator; the builder is left before the terminator.
gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, Value grid,
                           Value block) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, block, one, one);
  Block &body = launch.getBody().front();
  b.setInsertionPointToEnd(&body);
  auto terminator = gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(terminator);
  return launch;
}

struct MapToGpuPass : gcomp::impl::GcompMapToGpuBase<MapToGpuPass> {
  using Base::Base;

  LogicalResult mapParallel(scf::ParallelOp loop) {
    if (loop.getNumResults() != 0)
      return loop.emitError()
             << "gcomp-map-to-gpu: parallel loops with reductions are not "
                "supported";
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    SmallVector<Value> counts;
    Value total = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                         loop.getUpperBound(), loop.getStep())) {
      Value span = b.createOrFold<arith::SubIOp>(loc, ub, lb);
      Value count = b.createOrFold<arith::CeilDivSIOp>(loc, span, step);
      counts.push_back(count);
      total = b.createOrFold<arith::MulIOp>(loc, total, count);
    }
    if (std::optional<int64_t> n = getConstantIntValue(total); n && *n <= 0) {
      loop.erase();
      return success();
    }
    Value block = arith::ConstantIndexOp::create(b, loc, blockSize);
    Value grid = b.createOrFold<arith::CeilDivSIOp>(loc, total, block);
    // A dynamic empty loop still launches one (idle) block.
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    grid = b.createOrFold<arith::MaxSIOp>(loc, grid, one);
    gpu::LaunchOp launch = createLaunch(b, loc, grid, block);
    gcomp::nameKernel(launch, loc);

    Value id = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x, block),
        launch.getThreadIds().x);
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          id, total);
    auto guard = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    b.setInsertionPointToStart(guard.thenBlock());
    IRMapping mapping;
    SmallVector<Value> indices = gcomp::delinearize(b, loc, id, counts);
    for (int64_t d = static_cast<int64_t>(indices.size()) - 1; d >= 0; --d) {
      Value iv = arith::AddIOp::create(
          b, loc, loop.getLowerBound()[d],
          arith::MulIOp::create(b, loc, indices[d], loop.getStep()[d]));
      mapping.map(loop.getInductionVars()[d], iv);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
    loop.erase();
    return success();
  }

  /// Runs `ops` (in order; none of their results used by others) in a
  /// kernel of one thread, placed where the last of them was: the host
  /// operations in between are free of memory effects, and the values they
  /// define may be used by the group.
  LogicalResult mapSequential(ArrayRef<Operation *> ops) {
    DenseSet<Operation *> members(ops.begin(), ops.end());
    for (Operation *op : ops)
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!members.count(user))
            return user->emitError()
                   << "gcomp-map-to-gpu: a value computed from device memory "
                      "is used on the host";
    OpBuilder b(ops.back());
    Value one = arith::ConstantIndexOp::create(b, ops.back()->getLoc(), 1);
    gpu::LaunchOp launch = createLaunch(b, ops.back()->getLoc(), one, one);
    gcomp::nameKernel(launch, ops.back()->getLoc());
    for (Operation *op : ops)
      op->moveBefore(&*b.getInsertionPoint());
    return success();
  }

  /// A reshape to a static shape reads its shape operand, which lives on
  /// the device, though the shape is in the type already: it becomes a
  /// reinterpret_cast, which reads nothing.
  LogicalResult staticReshape(memref::ReshapeOp reshape) {
    auto source = dyn_cast<MemRefType>(reshape.getSource().getType());
    auto result = dyn_cast<MemRefType>(reshape.getResult().getType());
    if (!source || !result || !result.hasStaticShape() || !result.getLayout().isIdentity() ||
        !source.getLayout().isIdentity())
      return reshape.emitError()
             << "gcomp-map-to-gpu: a reshape to a dynamic or strided shape "
                "would read its shape on the host";
    OpBuilder b(reshape);
    SmallVector<int64_t> strides(result.getRank(), 1);
    for (int64_t d = result.getRank() - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * result.getDimSize(d + 1);
    auto cast = memref::ReinterpretCastOp::create(
        b, reshape.getLoc(), result, reshape.getSource(), /*offset=*/0,
        result.getShape(), strides);
    reshape.replaceAllUsesWith(cast.getResult());
    reshape.erase();
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError() << "gcomp-map-to-gpu expects a straight-line function";
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    for (Operation &op : func.getBody().front())
      ops.push_back(&op);
    // Memory-touching operations outside parallel loops (loop nests with no
    // parallel dimension, the loads and stores of a 0-d linalg op) and the
    // computations on what they load go to one-thread kernels, one per run
    // of them between parallel loops.
    SmallVector<Operation *> sequential;
    DenseSet<Operation *> inSequential;
    auto flush = [&]() {
      LogicalResult mapped = success();
      if (!sequential.empty())
        mapped = mapSequential(sequential);
      sequential.clear();
      inSequential.clear();
      return mapped;
    };
    for (Operation *op : ops) {
      LogicalResult mapped = success();
      if (op->hasTrait<OpTrait::IsTerminator>() || isa<gpu::LaunchOp>(op)) {
        mapped = flush();
      } else if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        mapped = flush();
        if (succeeded(mapped))
          mapped = mapParallel(loop);
      } else if (auto reshape = dyn_cast<memref::ReshapeOp>(op)) {
        mapped = flush();
        if (succeeded(mapped))
          mapped = staticReshape(reshape);
      } else if (!isMemoryEffectFree(op) ||
                 llvm::any_of(op->getOperands(), [&](Value v) {
                   return inSequential.count(v.getDefiningOp());
                 })) {
        sequential.push_back(op);
        inSequential.insert(op);
      }
      if (failed(mapped))
        return signalPassFailure();
    }
  }
};

} // namespace
