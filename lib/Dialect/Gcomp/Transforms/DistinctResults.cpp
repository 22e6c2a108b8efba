//===- DistinctResults.cpp - one value per returned tensor ----------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPDISTINCTRESULTS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

struct DistinctResultsPass
    : gcomp::impl::GcompDistinctResultsBase<DistinctResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::SmallDenseSet<Value> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || seen.insert(v).second)
          continue;
        // Bufferization gives each result an out-parameter; a value returned
        // twice would need two buffers, so the repeat gets a copy.
        SmallVector<Value> dynamicSizes;
        for (int64_t i = 0; i < type.getRank(); ++i)
          if (type.isDynamicDim(i))
            dynamicSizes.push_back(tensor::DimOp::create(b, ret.getLoc(), v, i));
        Value init = tensor::EmptyOp::create(b, ret.getLoc(), type, dynamicSizes);
        operand.set(linalg::CopyOp::create(b, ret.getLoc(), v, init).getResult(0));
      }
    });
  }
};

} // namespace
