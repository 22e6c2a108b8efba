//===- FuseElementwise.cpp - elementwise fusion on linalg -----------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFUSEELEMENTWISE
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

struct FuseElementwisePass
    : gcomp::impl::GcompFuseElementwiseBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    // Fused ops are new ops; remember which ones exist before.
    llvm::DenseSet<Operation *> before;
    root->walk([&](linalg::GenericOp op) { before.insert(op); });

    RewritePatternSet patterns(&getContext());
    // Fuse only producers used once: a value with several users would be
    // recomputed in each of them.
    linalg::ControlFusionFn singleUse = [](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, singleUse);
    if (failed(applyPatternsGreedily(root, std::move(patterns))))
      return signalPassFailure();

    if (!testMiscompile)
      return;
    root->walk([&](linalg::GenericOp op) {
      if (before.contains(op))
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
