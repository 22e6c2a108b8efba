//===- TestPerturbNode.cpp - make one node wrong on purpose ---------------===//
//
// gcomp-debug's own tests need a model whose numbers go wrong at a known
// node; this pass provides it.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPTESTPERTURBNODE
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// Whether `loc` names the ONNX node `name` (directly or inside a fusion).
bool namesNode(Location loc, StringRef name) {
  bool found = false;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l); named && named.getName() == name)
      found = true;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  return found;
}

struct TestPerturbNodePass
    : gcomp::impl::GcompTestPerturbNodeBase<TestPerturbNodePass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> targets;
    getOperation().walk([&](Operation *op) {
      if (op->getDialect() && isa<GcompDialect>(op->getDialect()) &&
          !isa<ConstantOp>(op) && namesNode(op->getLoc(), nodeName))
        targets.push_back(op);
    });
    if (targets.empty()) {
      getOperation().emitError() << "no op comes from ONNX node '" << nodeName
                                 << "'";
      return signalPassFailure();
    }
    for (Operation *op : targets) {
      OpBuilder b(op->getContext());
      b.setInsertionPointAfter(op);
      for (Value result : op->getResults()) {
        auto type = dyn_cast<RankedTensorType>(result.getType());
        if (!type || !isa<FloatType>(type.getElementType()))
          continue;
        Value one = ConstantOp::create(
            b, op->getLoc(),
            DenseElementsAttr::get(
                RankedTensorType::get({}, type.getElementType()),
                ArrayRef<Attribute>{b.getFloatAttr(type.getElementType(), 1.0)}));
        auto perturbed = AddOp::create(b, op->getLoc(), type, result, one);
        result.replaceAllUsesExcept(perturbed, perturbed);
      }
    }
  }
};

} // namespace
