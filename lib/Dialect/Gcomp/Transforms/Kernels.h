//===- Kernels.h - what counts as one kernel of the entry function -*- C++ -*-===//
//
// After bufferization the entry function is a sequence of kernels (each
// linalg op, memref.copy, scf loop nest of a sequential op, or call of the
// runtime's GEMM) among
// allocations, views and constants. Profiling (gcomp-instrument-kernels) and
// outlining (gcomp-outline-kernels) number them the same way, so a
// profile's `k12.generic` is the symbol `gcomp.k12.generic...` in perf.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_KERNELS_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_KERNELS_H

#include "gcomp/model_abi.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace gcomp {

/// The runtime function `name` taking `numArgs` i64 arguments (C ABI;
/// pointers are passed as integers), declared in `module` on first use.
inline mlir::func::FuncOp declareRuntimeFunction(mlir::ModuleOp module,
                                                 llvm::StringRef name,
                                                 unsigned numArgs,
                                                 mlir::Location loc) {
  if (auto f = module.lookupSymbol<mlir::func::FuncOp>(name))
    return f;
  auto mb = mlir::OpBuilder::atBlockBegin(module.getBody());
  llvm::SmallVector<mlir::Type> args(numArgs, mb.getI64Type());
  auto f = mlir::func::FuncOp::create(mb, loc, name, mb.getFunctionType(args, {}));
  f.setPrivate();
  return f;
}

/// The allocation or argument a buffer views.
inline mlir::Value rootOf(mlir::Value v) {
  while (auto view = v.getDefiningOp<mlir::ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// The aligned base address of `buffer` as an i64, for a runtime call.
inline mlir::Value addressAsI64(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value buffer) {
  mlir::Value ptr =
      mlir::memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
  return mlir::arith::IndexCastOp::create(b, loc, b.getI64Type(), ptr);
}

/// A call of the runtime's GEMM, with B as given or packed.
inline bool isGemmCall(mlir::func::CallOp call) {
  return call.getCallee() == GCOMP_SYM_SGEMM ||
         call.getCallee() == GCOMP_SYM_SGEMM_PACKED_B;
}

inline bool isKernel(mlir::Operation *op) {
  if (auto call = mlir::dyn_cast<mlir::func::CallOp>(op))
    return isGemmCall(call) || // GemmToRuntimeCall
           call.getCallee() == GCOMP_SYM_DWCONV2D || // DepthwiseToRuntimeCall
           call.getCallee() == GCOMP_SYM_DWCONV2D_NHWC ||
           call.getCallee() == GCOMP_SYM_DWCONV2D_NHWC_FUSED || // FusedConvOp
           call.getCallee() == GCOMP_SYM_CONV2D_NHWC || // FusedConvOp
           call.getCallee() == GCOMP_SYM_POOL2D_NHWC || // runtime_kernel ops
           call.getCallee() == GCOMP_SYM_SOFTMAX_ROWS ||
           call.getCallee() == GCOMP_SYM_LAYER_NORM_ROWS ||
           call.getCallee() == GCOMP_SYM_QGEMM || // gcomp.qmatmul
           call.getCallee() == GCOMP_SYM_QCONV2D_NHWC || // gcomp.qconv
           call.getCallee() == GCOMP_SYM_MATMUL_NBITS || // gcomp.matmul_nbits
           call.getCallee() == GCOMP_SYM_ATTENTION;
  return mlir::isa<mlir::linalg::LinalgOp, mlir::memref::CopyOp,
                   mlir::LoopLikeOpInterface>(op);
}

/// The kernels of `entry`, in program order (top level only).
inline llvm::SmallVector<mlir::Operation *> entryKernels(mlir::func::FuncOp entry) {
  llvm::SmallVector<mlir::Operation *> kernels;
  for (mlir::Operation &op : entry.getBody().getOps())
    if (isKernel(&op))
      kernels.push_back(&op);
  return kernels;
}

/// "k3.generic": the kernel's index and op name ("sgemm" for the runtime's
/// GEMM).
inline std::string kernelLabel(size_t index, mlir::Operation *op) {
  if (auto call = mlir::dyn_cast<mlir::func::CallOp>(op))
    return "k" + std::to_string(index) + "." +
           (isGemmCall(call)                                ? "sgemm"
            : call.getCallee() == GCOMP_SYM_CONV2D_NHWC ? "conv"
            : call.getCallee() == GCOMP_SYM_POOL2D_NHWC ? "pool"
            : call.getCallee() == GCOMP_SYM_SOFTMAX_ROWS ? "softmax"
            : call.getCallee() == GCOMP_SYM_LAYER_NORM_ROWS ? "layer_norm"
            : call.getCallee() == GCOMP_SYM_QGEMM           ? "qgemm"
            : call.getCallee() == GCOMP_SYM_QCONV2D_NHWC    ? "qconv"
            : call.getCallee() == GCOMP_SYM_MATMUL_NBITS    ? "nbits"
            : call.getCallee() == GCOMP_SYM_ATTENTION       ? "attention"
                                                           : "dwconv");
  llvm::StringRef name = op->getName().getStringRef();
  return "k" + std::to_string(index) + "." +
         name.substr(name.find('.') + 1).str();
}

/// The ONNX node names a location carries, in order, without repeats.
inline llvm::SmallVector<llvm::StringRef> nodeNamesOf(mlir::Location loc) {
  llvm::SetVector<llvm::StringRef> names;
  loc->walk([&](mlir::Location l) {
    if (auto named = mlir::dyn_cast<mlir::NameLoc>(l))
      names.insert(named.getName().strref());
    return mlir::WalkResult::advance();
  });
  return names.takeVector();
}

} // namespace gcomp

#endif
