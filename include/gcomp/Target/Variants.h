//===- Variants.h - several static variants in one model library -*- C++ -*-===//
//
// gcomp --specialize compiles the model once per size of its specialized
// dims. Each variant is translated to an LLVM module of its own, with the
// tables of model_abi.h; mergeVariants links them into one module that the
// runtime reads as one model whose signature has -1 where the variants
// differ, plus the variant tables that let each run pick its code. Equal
// constants (the weights, which every variant shares) are merged, so the
// library holds them once.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_TARGET_VARIANTS_H
#define GCOMP_TARGET_VARIANTS_H

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include <memory>
#include <vector>

namespace gcomp {

/// Links `variants` (at least one, all from one LLVMContext and from the
/// same model) into the first of them and returns it.
llvm::Expected<std::unique_ptr<llvm::Module>>
mergeVariants(std::vector<std::unique_ptr<llvm::Module>> variants);

} // namespace gcomp

#endif
