//===- GcompDialect.h - gcomp dialect ---------------------------*- C++ -*-===//
#ifndef GCOMP_DIALECT_GCOMP_IR_GCOMPDIALECT_H
#define GCOMP_DIALECT_GCOMP_IR_GCOMPDIALECT_H

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/Dialect.h"

#include "gcomp/Dialect/Gcomp/IR/GcompOpsDialect.h.inc"

namespace gcomp {
/// The argument/result attribute naming a graph input/output.
/// Static but for a symbolic leading (batch) dim: what the runtime's conv
/// and pool kernels, and the layouts around them, take (the batch is their
/// `n` argument). A rank-0 type is static.
inline bool isStaticButBatch(mlir::ShapedType type) {
  return type.getRank() == 0 ||
         llvm::none_of(type.getShape().drop_front(),
                       mlir::ShapedType::isDynamic);
}

inline constexpr llvm::StringLiteral kNameAttr = "gcomp.name";
/// On an entry argument or result whose declared shape names dims: the ONNX
/// `dim_param` of each dim ("" where the model gives a size or no name),
/// kept when the dims are fixed (--dim, --shape, --specialize).
inline constexpr llvm::StringLiteral kDimNamesAttr = "gcomp.dim_names";
/// On an entry result whose size depends on the input values (NonZero,
/// Compress, Unique, NonMaxSuppression): the dims that vary. The result's
/// type is the bound (the most it can be), and a later result carries its
/// actual dims.
inline constexpr llvm::StringLiteral kDataDependentDimsAttr =
    "gcomp.data_dependent_dims";
/// On the entry results after the graph outputs: the index of the output
/// whose actual dims (a 1-D i64 tensor) this result is.
inline constexpr llvm::StringLiteral kDimsOfAttr = "gcomp.dims_of";
} // namespace gcomp

#endif
