//===- DuplicateFills.cpp - one fill per tensor it initializes ------------===//
//
// Every product initializes its accumulator with a fill of zeros, and CSE
// merges the fills of equal shapes across the whole model into one value.
// Bufferization must then keep that filled buffer intact and give every
// product but one a copy of it: a read and a write of the whole result,
// where a fill of its own is only a write (and reads nothing that must be
// kept alive). This pass gives each use its own fill, right before it.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPDUPLICATEFILLS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

struct DuplicateFillsPass
    : gcomp::impl::GcompDuplicateFillsBase<DuplicateFillsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse() &&
          fill.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      auto empty =
          fill.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>();
      // The first use keeps the original; each other gets a copy of the
      // empty tensor and the fill placed right before it.
      SmallVector<OpOperand *> uses = llvm::map_to_vector(
          fill->getResult(0).getUses(), [](OpOperand &use) { return &use; });
      // In program order, so that the output does not depend on the order
      // of the use list.
      llvm::sort(uses, [](OpOperand *a, OpOperand *b) {
        Operation *x = a->getOwner(), *y = b->getOwner();
        if (x == y)
          return a->getOperandNumber() < b->getOperandNumber();
        return x->getBlock() == y->getBlock() && x->isBeforeInBlock(y);
      });
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder b(use->getOwner());
        Operation *emptyCopy = b.clone(*empty);
        IRMapping mapping;
        mapping.map(empty.getResult(), emptyCopy->getResult(0));
        use->set(b.clone(*fill, mapping)->getResult(0));
      }
    }
  }
};

} // namespace
