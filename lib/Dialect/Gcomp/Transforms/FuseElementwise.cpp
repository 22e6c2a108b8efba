//===- FuseElementwise.cpp - elementwise fusion on linalg -----------------===//

#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFUSEELEMENTWISE
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

std::string nodeList(Location loc) {
  return "[" + llvm::join(gcomp::nodeNamesOf(loc), ", ") + "]";
}

/// Tracks which fusions each op contains: the control function approves a
/// fusion (and numbers it), then the pattern inserts the fused op, which
/// inherits the fusions of its producer and consumer.
struct FusionHistory : RewriterBase::Listener {
  DenseMap<Operation *, SmallVector<int64_t>> fusionsOf;
  SmallVector<int64_t> pending;
  bool hasPending = false;

  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint) override {
    if (!hasPending || !isa<linalg::GenericOp>(op))
      return;
    fusionsOf[op] = pending;
    hasPending = false;
  }
  void notifyOperationErased(Operation *op) override { fusionsOf.erase(op); }
};

struct FuseElementwisePass
    : gcomp::impl::GcompFuseElementwiseBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    FusionHistory history;
    int64_t count = 0;
    // Fuse only producers used once: a value with several users would be
    // recomputed in each of them.
    linalg::ControlFusionFn control = [&](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      Operation *consumer = operand->getOwner();
      if (!producer || !producer->hasOneUse())
        return false;
      // A contraction stays a pure product, which the runtime's GEMM runs
      // (gcomp-gemm-to-runtime-call); an elementwise producer fused into it
      // would turn it back into a loop nest.
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(consumer))
        if (linalg::isaContractionOpInterface(linalgOp))
          return false;
      if (maxFusions >= 0 && count >= maxFusions)
        return false;
      if (printFusions)
        consumer->emitRemark() << "fusion #" << count << ": the producer of "
                               << nodeList(producer->getLoc())
                               << " into the consumer of "
                               << nodeList(consumer->getLoc());
      history.pending = history.fusionsOf.lookup(producer);
      history.pending.append(history.fusionsOf.lookup(consumer));
      history.pending.push_back(count++);
      history.hasPending = true;
      return true;
    };
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    GreedyRewriteConfig config;
    config.setListener(&history);
    if (failed(applyPatternsGreedily(root, std::move(patterns), config)))
      return signalPassFailure();

    if (!testMiscompile)
      return;
    root->walk([&](linalg::GenericOp op) {
      auto it = history.fusionsOf.find(op);
      if (it == history.fusionsOf.end() ||
          (testMiscompileFusion >= 0 &&
           !llvm::is_contained(it->second, testMiscompileFusion)))
        return;
      for (auto add : op.getBody()->getOps<arith::AddFOp>()) {
        OpBuilder b(add);
        add.replaceAllUsesWith(
            arith::SubFOp::create(b, add.getLoc(), add.getLhs(), add.getRhs())
                .getResult());
        add.erase();
        break;
      }
    });
  }
};

} // namespace
