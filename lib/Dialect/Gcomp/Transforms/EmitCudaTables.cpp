//===- EmitCudaTables.cpp - what makes a library a CUDA model -------------===//

#include "AbiGlobals.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPEMITCUDATABLES
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

struct EmitCudaTablesPass
    : gcomp::impl::GcompEmitCudaTablesBase<EmitCudaTablesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    auto list = module->getAttrOfType<ArrayAttr>(kCudaConstantsAttr);
    int64_t count = list ? list.size() : 0;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    addAbiTable(b, loc, GCOMP_SYM_CUDA,
                {GCOMP_CUDA_FORMAT_VERSION, count, smVersion});
    if (count == 0)
      return;

    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = b.getI64Type();
    auto entryType = LLVM::LLVMStructType::getLiteral(context, {ptr, i64, i64});
    auto tableType = LLVM::LLVMArrayType::get(entryType, count);
    auto table = LLVM::GlobalOp::create(b, loc, tableType, /*isConstant=*/true,
                                        LLVM::Linkage::External,
                                        GCOMP_SYM_CUDA_CONSTANTS, Attribute(),
                                        /*alignment=*/8);
    table.setVisibility_(LLVM::Visibility::Hidden);
    Block *init = b.createBlock(&table.getInitializerRegion());
    b.setInsertionPointToStart(init);
    Value array = LLVM::PoisonOp::create(b, loc, tableType);
    for (auto [index, attr] : llvm::enumerate(list)) {
      auto fields = cast<ArrayAttr>(attr);
      auto name = cast<FlatSymbolRefAttr>(fields[0]);
      if (!module.lookupSymbol<LLVM::GlobalOp>(name.getAttr())) {
        module.emitError() << "gcomp-emit-cuda-tables: constant " << name
                           << " is not an LLVM global";
        return signalPassFailure();
      }
      Value entry = LLVM::PoisonOp::create(b, loc, entryType);
      Value address = LLVM::AddressOfOp::create(b, loc, ptr, name.getValue());
      entry = LLVM::InsertValueOp::create(b, loc, entry, address,
                                          ArrayRef<int64_t>{0});
      for (int64_t field : {1, 2}) {
        Value v = LLVM::ConstantOp::create(b, loc, i64,
                                           cast<IntegerAttr>(fields[field]));
        entry = LLVM::InsertValueOp::create(b, loc, entry, v,
                                            ArrayRef<int64_t>{field});
      }
      array = LLVM::InsertValueOp::create(
          b, loc, array, entry, ArrayRef<int64_t>{static_cast<int64_t>(index)});
    }
    LLVM::ReturnOp::create(b, loc, array);
  }
};

} // namespace
