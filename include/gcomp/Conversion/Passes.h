//===- Passes.h - gcomp conversions -----------------------------*- C++ -*-===//
#ifndef GCOMP_CONVERSION_PASSES_H
#define GCOMP_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace gcomp {
#define GEN_PASS_DECL
#include "gcomp/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "gcomp/Conversion/Passes.h.inc"
} // namespace gcomp

#endif
