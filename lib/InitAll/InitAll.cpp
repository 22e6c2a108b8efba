//===- InitAll.cpp - register gcomp's dialects, passes, pipelines ---------===//

#include "gcomp/InitAll.h"

#include "gcomp/Conversion/Passes.h"
#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/Pipelines/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void gcomp::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<GcompDialect>();
  registerFusedConvBufferization(registry);
  registerRuntimeKernelBufferization(registry);
  // The pipelines use linalg, tensor, bufferization, memref, scf, cf, math,
  // llvm and their interfaces; registering all upstream dialects keeps
  // gcomp-opt usable on any IR the pipelines print.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // The CUDA target: gpu-module-to-binary serializes through the NVVM
  // target attribute, and gpu.binary / gpu.launch_func translate to LLVM IR.
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerAllGPUToLLVMIRTranslations(registry);
}

void gcomp::registerAllPasses() {
  mlir::registerAllPasses();
  registerGcompConversionPasses();
  registerGcompTransformsPasses();
  registerGcompPipelines();
}
