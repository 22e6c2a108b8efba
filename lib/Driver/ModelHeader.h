//===- ModelHeader.h - the C header written by --emit-header ----*- C++ -*-===//
#ifndef GCOMP_LIB_DRIVER_MODELHEADER_H
#define GCOMP_LIB_DRIVER_MODELHEADER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include <string>

namespace gcomp {
/// A self-contained C header for the model whose graph is `entry`: the
/// runtime API (runtime.h) plus the model's inputs and outputs as constants
/// named after `headerFileName` (model.h -> MODEL_INPUT_X_SHAPE ...).
std::string renderModelHeader(mlir::func::FuncOp entry,
                              llvm::StringRef headerFileName);
} // namespace gcomp

#endif
