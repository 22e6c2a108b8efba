//===- ModelHeader.h - the C header written by --emit-header ----*- C++ -*-===//
#ifndef GCOMP_LIB_DRIVER_MODELHEADER_H
#define GCOMP_LIB_DRIVER_MODELHEADER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include <string>

namespace gcomp {
/// A self-contained header for the model whose graph is `entry`:
/// - the runtime API (runtime.h), and with a `symbolPrefix` the same
///   functions under the prefixed names the model exports;
/// - the model's inputs and outputs as C constants named after
///   `headerFileName` (model.h -> MODEL_INPUT_0_NAME, ..._DIMS, ...);
/// - for C++, a header-only RAII wrapper in a namespace named after the
///   header (model::Model), with a typed run() when every shape is static.
std::string renderModelHeader(mlir::func::FuncOp entry,
                              llvm::StringRef headerFileName,
                              llvm::StringRef symbolPrefix);
} // namespace gcomp

#endif
