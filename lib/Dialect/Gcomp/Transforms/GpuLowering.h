//===- GpuLowering.h - helpers shared by the CUDA target's lowerings ------===//
//
// Internal to GcompTransforms: the pieces that gcomp-linalg-to-gpu-loops,
// its tiled lowering of contractions and gcomp-map-to-gpu have in common.
//
//===----------------------------------------------------------------------===//

#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GPULOWERING_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GPULOWERING_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace gcomp {

/// Splits the linear index `linear` of a row-major iteration space with
/// `counts` iterations per dimension into one index per dimension,
/// innermost fastest: neighbouring linear indices are neighbours in the
/// innermost dimension. The outermost index is not reduced modulo its
/// count (an index past the space stays past it).
llvm::SmallVector<mlir::Value> delinearize(mlir::OpBuilder &b,
                                           mlir::Location loc,
                                           mlir::Value linear,
                                           llvm::ArrayRef<mlir::Value> counts);

/// The indices `map` gives for the loop induction variables `ivs`.
llvm::SmallVector<mlir::Value> applyIndexingMap(mlir::OpBuilder &b,
                                                mlir::Location loc,
                                                mlir::AffineMap map,
                                                llvm::ArrayRef<mlir::Value> ivs);

/// Lowers `op`, a contraction with one reduction dimension on buffers whose
/// operands are large enough, to one gpu.launch that computes its output
/// in tiles through shared memory (GpuTiledContraction.cpp). Its outputs
/// start from `initValue` when it is given (an absorbed linalg.fill), else
/// from their contents. Fails without changing anything when `op` is not
/// one.
mlir::LogicalResult lowerToTiledContraction(mlir::linalg::LinalgOp op,
                                            mlir::Value initValue);

} // namespace gcomp

#endif // GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GPULOWERING_H
