//===- InitAll.h - register gcomp's dialects, passes, pipelines -*- C++ -*-===//
//
// The one place that knows every dialect and pass gcomp uses; tools call
// these instead of listing them.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_INITALL_H
#define GCOMP_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace gcomp {
/// gcomp's dialect and the upstream dialects (with their external models)
/// the pipelines produce.
void registerAllDialects(mlir::DialectRegistry &registry);
/// gcomp's passes and pipelines plus the upstream passes they use.
void registerAllPasses();
} // namespace gcomp

#endif
