//===- GpuLowering.h - helpers shared by the CUDA target's lowerings ------===//
//
// Internal to GcompTransforms: the pieces that gcomp-linalg-to-gpu-loops,
// its tiled lowering of contractions and gcomp-map-to-gpu have in common.
//
//===----------------------------------------------------------------------===//

#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GPULOWERING_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GPULOWERING_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
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

/// Where an op's outputs start, when not from their contents: an absorbed
/// linalg.fill's value, or an absorbed broadcast's input (a bias) at the
/// output element's indices through the broadcast's input map.
struct OutputStart {
  mlir::Value scalar;
  mlir::Value source;
  mlir::AffineMap sourceMap;
  /// The output's element type when the broadcast widened its input (an
  /// f16 bias into an f32 accumulator); null otherwise.
  mlir::Type widenTo;
  explicit operator bool() const { return scalar || source; }
  /// The start of the output element at `indices` (the output's own).
  mlir::Value at(mlir::OpBuilder &b, mlir::Location loc,
                 llvm::ArrayRef<mlir::Value> indices) const;
};

/// An element-wise op that runs in its producer's kernel (its epilogue):
/// where the producer (a product or a reduction) would store an element of
/// its output, it hands the value to the epilogue, which computes the
/// consumer's element at the same place (the same linear index of the
/// same row-major buffer) and stores that instead. The producer's output
/// is then never written, and the consumer's kernel and its pass over
/// memory are gone. findEpilogue (LinalgToGpuLoops.cpp) says when this
/// is safe.
struct Epilogue {
  /// All loops parallel, its output indexed by all of them in order.
  mlir::linalg::LinalgOp consumer;
  /// The consumer's input that reads the producer's output.
  mlir::OpOperand *read = nullptr;
  /// The producer's output shape, as the producer indexes it.
  llvm::SmallVector<int64_t> producerShape;
  explicit operator bool() const { return static_cast<bool>(consumer); }
  /// Computes and stores the consumer's element for `value`, the
  /// producer's output element at `indices` (the producer output's own).
  void store(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
             llvm::ArrayRef<mlir::Value> indices) const;
};

/// Names the kernel `launch` will be outlined into after the ONNX nodes
/// that `loc` names (the importer gives each op its node's name, fusion a
/// FusedLoc of them), so that profilers show what each kernel computes:
/// "layer1_0_conv1_Conv", "Add_3_and_2_more". Leaves the outliner's name
/// when `loc` names no node.
void nameKernel(mlir::gpu::LaunchOp launch, mlir::Location loc);

/// The roles of a contraction's dimensions: the output is indexed by
/// `batch`, `m` and `n`, the first input by m and the second by n (with
/// any of the batch dimensions), both by the one reduction dimension `k`.
struct Contraction {
  int64_t m, n, k;
  llvm::SmallVector<int64_t> batch;
  mlir::OpOperand *lhs, *rhs, *out;
};

/// Matches a linalg op on tensors or buffers of static shapes with two
/// inputs, one output and one reduction dimension, whose indexing maps are
/// projected permutations, whose output is indexed by every parallel
/// dimension and whose inputs each have a parallel dimension the other
/// lacks (m and n: of those, the ones the output is most nearly contiguous
/// in). Its body may be anything without regions or linalg.index.
mlir::FailureOr<Contraction> matchContraction(mlir::linalg::LinalgOp op);

/// Products with fewer rows or columns keep a thread per output element.
constexpr int64_t kMinTiledRows = 16, kMinTiledColumns = 16;

/// The number of thread blocks lowerToTiledContraction gives a product of
/// `rows` x `columns` outputs, `batches` times.
int64_t tiledContractionBlocks(int64_t rows, int64_t columns, int64_t batches);

/// The tensor-core instruction a tiled product runs on, if any.
enum class TensorCoreKind {
  None,
  TF32, ///< mma m16n8k8 on f32 inputs rounded to TF32, f32 sums
  F16,  ///< mma m16n8k16 on f16 inputs, f32 sums
  BF16, ///< mma m16n8k16 on bf16 inputs, f32 sums
};

/// Which products may run on tensor cores.
struct TensorCoreOptions {
  /// f32 products, their inputs rounded to TF32 (less exact than fp32).
  bool tf32 = false;
  /// f16 and bf16 products with f32 sums (exact products; sm_80 or newer).
  bool half = false;
};

/// Lowers `op`, a contraction with one reduction dimension on buffers whose
/// operands are large enough, to one gpu.launch that computes its output
/// in tiles through shared memory (GpuTiledContraction.cpp). Its outputs
/// start from `start` when it is given, else from their contents. Fails
/// without changing anything when `op` is not one. With `epilogue`, its
/// outputs go through it instead of to the output. A product whose body is
/// `acc + lhs * rhs` runs on tensor cores when `tensorCores` allows its
/// types.
mlir::LogicalResult lowerToTiledContraction(mlir::linalg::LinalgOp op,
                                            const OutputStart &start,
                                            const TensorCoreOptions &tensorCores,
                                            const Epilogue &epilogue = {});

} // namespace gcomp

#endif // GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_GPULOWERING_H
