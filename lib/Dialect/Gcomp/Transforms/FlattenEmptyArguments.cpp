//===- FlattenEmptyArguments.cpp - 1-D types for zero-element arguments ---===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFLATTENEMPTYARGUMENTS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

struct FlattenEmptyArgumentsPass
    : gcomp::impl::GcompFlattenEmptyArgumentsBase<FlattenEmptyArgumentsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    SmallVector<Type> inputs(func.getArgumentTypes());
    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || type.getRank() < 2 || !type.hasStaticShape() ||
          type.getNumElements() != 0 || !type.getLayout().isIdentity())
        continue;
      auto flat = MemRefType::get({0}, type.getElementType(), nullptr,
                                  type.getMemorySpace());
      arg.setType(flat);
      inputs[arg.getArgNumber()] = flat;
      SmallVector<ReassociationIndices> all(1);
      for (int64_t d = 0; d < type.getRank(); ++d)
        all[0].push_back(d);
      Value view = memref::ExpandShapeOp::create(b, func.getLoc(), type, arg, all);
      arg.replaceAllUsesExcept(view, view.getDefiningOp());
    }
    func.setType(b.getFunctionType(inputs, func.getResultTypes()));
  }
};

} // namespace
