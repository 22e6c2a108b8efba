//===- Stats.h - what the optimizer did, counted ----------------*- C++ -*-===//
//
// Counts behind `gcomp --stats`: graph ops after the graph phase, kernels
// after fusion and outlining, constant bytes.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_DIALECT_GCOMP_TRANSFORMS_STATS_H
#define GCOMP_DIALECT_GCOMP_TRANSFORMS_STATS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>

namespace gcomp {

struct GraphOpCounts {
  int64_t constants = 0;
  int64_t others = 0;
};

/// The gcomp dialect ops of a graph-level entry function.
GraphOpCounts countGraphOps(mlir::func::FuncOp entry);

/// Bytes of every intermediate tensor of a graph-level entry function: the
/// results of its gcomp ops other than constants and the graph's outputs,
/// with static shapes. Measured on the graph as imported, it is what a
/// runtime that gave each ONNX node output its own buffer would allocate.
int64_t intermediateTensorBytes(mlir::func::FuncOp entry);

/// The kernels a bufferized entry function runs, by kind ("sgemm",
/// "generic", "transpose"...): the outlined kernel calls and the kernels
/// left inline, as gcomp-outline-kernels and gcomp-instrument-kernels see
/// them.
std::map<std::string, int64_t> countKernels(mlir::func::FuncOp entry);

/// Bytes of constant data in a bufferized module: its constant
/// memref.globals (weights, packed weights, tables).
int64_t constantBytes(mlir::ModuleOp module);

} // namespace gcomp

#endif
