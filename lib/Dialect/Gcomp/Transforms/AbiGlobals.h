//===- AbiGlobals.h - constant tables the runtime reads ---------*- C++ -*-===//
//
// The tables of runtime/include/gcomp/model_abi.h are external, hidden
// (read by the runtime linked into the same .so, never exported) constant
// LLVM globals; both ABI passes emit them through these helpers.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_ABIGLOBALS_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_ABIGLOBALS_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace gcomp {

inline void addAbiGlobal(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::StringRef name, mlir::Type type,
                         mlir::Attribute value) {
  auto global = mlir::LLVM::GlobalOp::create(
      b, loc, type, /*isConstant=*/true, mlir::LLVM::Linkage::External, name,
      value, /*alignment=*/8);
  global.setVisibility_(mlir::LLVM::Visibility::Hidden);
}

/// An i64 array global.
inline void addAbiTable(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::StringRef name, llvm::ArrayRef<int64_t> values) {
  auto tensorType = mlir::RankedTensorType::get(
      {static_cast<int64_t>(values.size())}, b.getI64Type());
  addAbiGlobal(b, loc, name,
               mlir::LLVM::LLVMArrayType::get(b.getI64Type(), values.size()),
               mlir::DenseIntElementsAttr::get(tensorType, values));
}

/// A byte-string global; `bytes` carries its own NUL terminators.
inline void addAbiString(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::StringRef name, llvm::StringRef bytes) {
  addAbiGlobal(b, loc, name,
               mlir::LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size()),
               b.getStringAttr(bytes));
}

} // namespace gcomp

#endif
