//===- Passes.h - gcomp transforms ------------------------------*- C++ -*-===//
#ifndef GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_H
#define GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace gcomp {
#define GEN_PASS_DECL
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"

/// Marks an outlined kernel whose last two arguments are the [lo, hi) range
/// of its split loop (gcomp-outline-kernels), so that gcomp-parallel-calls
/// runs it on the thread pool.
inline constexpr llvm::StringLiteral kParallelKernelAttr = "gcomp.parallel";

/// Attaches gcomp.fused_conv's bufferization (into a runtime call).
void registerFusedConvBufferization(mlir::DialectRegistry &registry);
/// Bufferization of the ops marked `runtime_kernel` (pools, softmax) into
/// runtime calls (RuntimeKernelBufferization.cpp).
void registerRuntimeKernelBufferization(mlir::DialectRegistry &registry);

/// Module attributes recording the entry's input and output counts.
inline constexpr llvm::StringLiteral kNumInputsAttr = "gcomp.num_inputs";
inline constexpr llvm::StringLiteral kNumOutputsAttr = "gcomp.num_outputs";

/// gcomp-symbolic-dims marks an entry with symbolic dims; gcomp-dynamic-entry
/// gives it the `gcomp.dims` parameter (model_abi.h, GCOMP_SYM_DYNAMIC_DIMS).
inline constexpr llvm::StringLiteral kDynamicEntryAttr = "gcomp.dynamic_entry";
inline constexpr llvm::StringLiteral kDimsArgAttr = "gcomp.dims";

/// gcomp-plan-buffers: the entry's workspace argument, and the module
/// attributes recording the plan (bytes, as i64) for `gcomp --stats`.
inline constexpr llvm::StringLiteral kWorkspaceArgAttr = "gcomp.workspace";
inline constexpr llvm::StringLiteral kWorkspaceBytesAttr =
    "gcomp.workspace_bytes";
inline constexpr llvm::StringLiteral kBufferBytesNaiveAttr =
    "gcomp.buffer_bytes_naive";
inline constexpr llvm::StringLiteral kBufferBytesLowerBoundAttr =
    "gcomp.buffer_bytes_lower_bound";

/// gcomp-gpu-constants: `[@global, offset, bytes]` for every constant the
/// entry reads, placed in the device workspace (for gcomp-emit-cuda-tables).
inline constexpr llvm::StringLiteral kCudaConstantsAttr =
    "gcomp.cuda_constants";
} // namespace gcomp

#endif
