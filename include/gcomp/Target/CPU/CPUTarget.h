//===- CPUTarget.h - LLVM dialect to host object code -----------*- C++ -*-===//
#ifndef GCOMP_TARGET_CPU_CPUTARGET_H
#define GCOMP_TARGET_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>
#include <string>

namespace gcomp::cpu {

struct TargetOptions {
  /// Target triple; empty means the host's.
  std::string triple;
  /// CPU name (`znver4`, `sapphirerapids`, `x86-64-v3`); empty or `native`
  /// means the host CPU with its detected features.
  std::string cpu;
  /// Extra LLVM feature string (`+avx512f,-amx-tile`) applied last.
  std::string features;
  /// 0..3, as -O.
  unsigned optLevel = 2;
};

/// Creates the TargetMachine for `options`, resolving the host if asked.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options);

/// The x86 features, among those the runtime knows how to check, that the
/// target machine enables: "avx2,avx512f,fma". Empty for other targets.
std::string runtimeCheckedFeatures(const llvm::TargetMachine &tm);

/// Translates an LLVM-dialect module to LLVM IR for `tm` and optimizes it
/// at `optLevel`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context,
                     llvm::TargetMachine &tm, unsigned optLevel);

/// Emits `module` as a relocatable object into `out`.
llvm::Error emitObject(llvm::Module &module, llvm::TargetMachine &tm,
                       llvm::SmallVectorImpl<char> &out);

} // namespace gcomp::cpu

#endif
