//===- EmitEntry.cpp - the C entry point the runtime calls ----------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPEMITENTRY
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

struct EmitEntryPass : gcomp::impl::GcompEmitEntryBase<EmitEntryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<LLVM::LLVMFuncOp>(entryName);
    auto numInputs = module->getAttrOfType<IntegerAttr>(kNumInputsAttr);
    auto numOutputs = module->getAttrOfType<IntegerAttr>(kNumOutputsAttr);
    if (!entry || !numInputs || !numOutputs) {
      module.emitError() << "expected a lowered entry function '" << entryName
                         << "' and the '" << kNumInputsAttr << "'/'"
                         << kNumOutputsAttr
                         << "' module attributes (run gcomp-emit-model-abi "
                            "before lowering)";
      return signalPassFailure();
    }
    int64_t nIn = numInputs.getInt(), nOut = numOutputs.getInt();
    LLVM::LLVMFunctionType entryType = entry.getFunctionType();
    auto ptrType = LLVM::LLVMPointerType::get(module.getContext());
    // gcomp-plan-buffers adds the workspace after the outputs, and
    // gcomp-dynamic-entry the dims of a generic entry last.
    int64_t numParams = entryType.getNumParams();
    bool hasDims =
        numParams > nIn + nOut && entry.getArgAttr(numParams - 1, kDimsArgAttr);
    int64_t numBuffers = numParams - hasDims;
    bool hasWorkspace =
        numBuffers == nIn + nOut + 1 &&
        entry.getArgAttr(numBuffers - 1, kWorkspaceArgAttr);
    if ((numBuffers != nIn + nOut && !hasWorkspace) ||
        !llvm::all_of(entryType.getParams(),
                      [&](Type t) { return t == ptrType; })) {
      entry.emitError() << "expected " << nIn + nOut
                        << " pointer parameters (bare-pointer calling "
                           "convention, outputs as out-parameters) and "
                           "optionally a workspace, got "
                        << entryType;
      return signalPassFailure();
    }

    // The ONNX names were for gcomp-emit-model-abi; LLVM has no use for
    // them (and warns about unknown parameter attributes).
    for (unsigned i = 0; i < entryType.getNumParams(); ++i)
      if (DictionaryAttr attrs = entry.getArgAttrDict(i))
        for (NamedAttribute attr : attrs)
          if (attr.getName().strref().starts_with("gcomp."))
            entry.removeArgAttr(i, attr.getName());

    // Everything but the C entry stays inside the object.
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (!fn.isExternal())
        fn.setLinkage(LLVM::Linkage::Internal);

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = entry.getLoc();
    auto i32 = b.getI32Type();
    SmallVector<Type> cParams = {ptrType, ptrType, ptrType};
    if (hasDims)
      cParams.push_back(ptrType);
    auto cEntry = LLVM::LLVMFuncOp::create(
        b, loc, GCOMP_SYM_ENTRY, LLVM::LLVMFunctionType::get(i32, cParams));
    cEntry.setVisibility_(LLVM::Visibility::Hidden);
    Block *body = cEntry.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    SmallVector<Value> args;
    auto unpack = [&](Value array, int64_t count) {
      for (int64_t i = 0; i < count; ++i) {
        Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, array,
                                         ArrayRef<LLVM::GEPArg>{i});
        args.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
      }
    };
    unpack(body->getArgument(0), nIn);
    unpack(body->getArgument(1), nOut);
    if (hasWorkspace)
      args.push_back(body->getArgument(2));
    if (hasDims)
      args.push_back(body->getArgument(3));
    LLVM::CallOp::create(b, loc, entry, args);
    Value zero = LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(0));
    LLVM::ReturnOp::create(b, loc, zero);
  }
};

} // namespace
