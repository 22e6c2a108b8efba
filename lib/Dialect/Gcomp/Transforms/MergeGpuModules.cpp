//===- MergeGpuModules.cpp - all kernels in one gpu.module ----------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPMERGEGPUMODULES
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

struct MergeGpuModulesPass
    : gcomp::impl::GcompMergeGpuModulesBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.size() <= 1)
      return;
    gpu::GPUModuleOp target = modules.front();
    SymbolTable targetSymbols(target);
    // (module, kernel) -> the kernel's name in `target`.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> moved;
    for (gpu::GPUModuleOp source : llvm::drop_begin(modules)) {
      // Only modules of kernels alone (what outlining makes) are merged.
      if (!llvm::all_of(source.getBody()->getOperations(), [](Operation &op) {
            auto fn = dyn_cast<gpu::GPUFuncOp>(op);
            return fn && fn.isKernel();
          }))
        continue;
      for (auto fn :
           llvm::make_early_inc_range(source.getOps<gpu::GPUFuncOp>())) {
        StringAttr oldName = fn.getNameAttr();
        fn->remove();
        fn.setName(source.getName());
        StringAttr newName = targetSymbols.insert(fn);
        moved[{source.getNameAttr(), oldName}] = newName;
      }
      source.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = moved.find(
          {launch.getKernelModuleName(), launch.getKernelName()});
      if (it == moved.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};

} // namespace
