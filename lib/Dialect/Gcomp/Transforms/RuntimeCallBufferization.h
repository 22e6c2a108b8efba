//===- RuntimeCallBufferization.h - ops that bufferize into calls -*- C++ -*-===//
//
// What the bufferization models of gcomp.fused_conv and of the
// `runtime_kernel` ops share: dense input buffers, i64 arguments, and the
// call that replaces the op.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_RUNTIMECALLBUFFERIZATION_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_RUNTIMECALLBUFFERIZATION_H

#include "Kernels.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

namespace gcomp {

/// A new dense row-major buffer of `buffer`'s shape (its symbolic dims
/// read from it) and element type.
inline mlir::Value allocLike(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value buffer) {
  auto type = mlir::cast<mlir::MemRefType>(buffer.getType());
  llvm::SmallVector<mlir::Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(mlir::memref::DimOp::create(b, loc, buffer, d));
  return mlir::memref::AllocOp::create(
      b, loc, mlir::MemRefType::get(type.getShape(), type.getElementType()),
      sizes);
}

/// `tensor`'s buffer, copied into a dense row-major one if it has another
/// layout (the runtime kernels read dense buffers; bufferization rarely
/// hands out another layout here).
inline mlir::FailureOr<mlir::Value>
denseBuffer(mlir::RewriterBase &rewriter, mlir::Location loc,
            mlir::Value tensor,
            const mlir::bufferization::BufferizationOptions &options,
            mlir::bufferization::BufferizationState &state) {
  mlir::FailureOr<mlir::Value> buffer =
      mlir::bufferization::getBuffer(rewriter, tensor, options, state);
  if (mlir::failed(buffer))
    return mlir::failure();
  auto type = mlir::cast<mlir::MemRefType>(buffer->getType());
  if (type.getLayout().isIdentity())
    return *buffer;
  mlir::Value copy = allocLike(rewriter, loc, *buffer);
  mlir::memref::CopyOp::create(rewriter, loc, *buffer, copy);
  return copy;
}

/// An i64 constant argument of a runtime call.
inline mlir::Value i64Constant(mlir::OpBuilder &b, mlir::Location loc,
                               int64_t v) {
  return mlir::arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}

/// The addresses (i64) of `operands`' dense buffers, in order; 0 for a null
/// operand (an absent optional input).
inline mlir::FailureOr<llvm::SmallVector<mlir::Value>>
operandAddresses(mlir::RewriterBase &rewriter, mlir::Location loc,
                 llvm::ArrayRef<mlir::Value> operands,
                 const mlir::bufferization::BufferizationOptions &options,
                 mlir::bufferization::BufferizationState &state) {
  llvm::SmallVector<mlir::Value> addresses;
  for (mlir::Value operand : operands) {
    if (!operand) {
      addresses.push_back(i64Constant(rewriter, loc, 0));
      continue;
    }
    mlir::FailureOr<mlir::Value> buffer =
        denseBuffer(rewriter, loc, operand, options, state);
    if (mlir::failed(buffer))
      return mlir::failure();
    addresses.push_back(addressAsI64(rewriter, loc, *buffer));
  }
  return addresses;
}

/// Calls the runtime function `symbol` with `args` (declaring it on first
/// use) and replaces `op` by `result`, the buffer the call writes.
inline void callRuntimeAndReplace(mlir::RewriterBase &rewriter,
                                  mlir::Operation *op, llvm::StringRef symbol,
                                  llvm::ArrayRef<mlir::Value> args,
                                  mlir::Value result) {
  mlir::func::FuncOp callee = declareRuntimeFunction(
      op->getParentOfType<mlir::ModuleOp>(), symbol, args.size(), op->getLoc());
  mlir::func::CallOp::create(rewriter, op->getLoc(), callee, args);
  mlir::bufferization::replaceOpWithBufferizedValues(rewriter, op, result);
}

} // namespace gcomp

#endif
