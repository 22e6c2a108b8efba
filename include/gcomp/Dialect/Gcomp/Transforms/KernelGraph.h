//===- KernelGraph.h - the fused graph as Graphviz DOT ----------*- C++ -*-===//
//
// What `gcomp --dump-graph=FILE.dot` writes: the entry function after
// fusion (the end of the linalg phase, before bufferization), one box per
// kernel, with edges where one kernel reads what another wrote.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_DIALECT_GCOMP_TRANSFORMS_KERNELGRAPH_H
#define GCOMP_DIALECT_GCOMP_TRANSFORMS_KERNELGRAPH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace gcomp {

/// Writes `entry` (tensor semantics, any phase up to the end of the linalg
/// phase) as a DOT digraph: the model's inputs and outputs as ellipses,
/// every op that computes (a linalg op, a runtime kernel op, a gcomp graph
/// op) as a box labelled with its kind, the ONNX nodes it implements and
/// its result type. Ops that only reinterpret a tensor (reshapes, slices,
/// casts of the type) and constants are not kernels: edges pass through
/// them, and a kernel's label counts the constant operands (weights) it
/// reads.
void writeKernelGraph(mlir::func::FuncOp entry, llvm::raw_ostream &os);

} // namespace gcomp

#endif
