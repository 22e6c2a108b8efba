//===- Pipelines.h - gcomp's compilation phases -----------------*- C++ -*-===//
//
// The compiler is a sequence of named phases; `gcomp --emit=PHASE` stops
// after one and prints or writes it. All knobs travel in one options struct
// passed explicitly (no global flags read inside passes).
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_PIPELINES_PIPELINES_H
#define GCOMP_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include <string>
#include <vector>

namespace gcomp {

/// Phases in pipeline order.
enum class Phase {
  Import,  ///< gcomp dialect as imported
  Graph,   ///< gcomp dialect after graph-level simplification
  Linalg,  ///< linalg/tensor/arith on tensors, fused
  Buffers, ///< bufferized: memrefs, out-parameters, deallocations
  LLVM,    ///< LLVM dialect with the runtime entry point
};

/// What the generated code runs on.
enum class Target {
  CPU,  ///< x86-64 code calling the runtime's CPU kernels
  CUDA, ///< host code launching PTX kernels on an NVIDIA GPU
};

struct PipelineOptions {
  Target target = Target::CPU;
  /// CUDA: the GPU architecture the PTX is generated for ("sm_80").
  std::string gpuArch = "sm_80";
  /// CUDA: the toolkit whose libdevice provides the math functions ("" lets
  /// MLIR look in its default place).
  std::string cudaPath;
  /// CUDA: a warp per output for ops with few outputs and long reductions
  /// (gcomp-linalg-to-gpu-loops warp-reductions).
  bool gpuWarpReductions = true;
  /// CUDA: matrix products and convolutions in shared-memory tiles
  /// (gcomp-linalg-to-gpu-loops tile-contractions).
  bool gpuTileContractions = true;
  /// CUDA: fp32 products on tensor cores, their inputs rounded to TF32
  /// (gcomp-linalg-to-gpu-loops allow-tf32).
  bool allowTf32 = false;
  /// Name of the graph function produced by the importer.
  std::string entryName = "main";
  /// CPU features (comma-separated, no +/-) the runtime must check before
  /// running the code, recorded in the object.
  std::string cpuFeatures;
  /// Version string recorded in the object.
  std::string producer = "gcomp";
  /// Time every kernel (gcomp --profile); off, the model has no
  /// profiling code at all.
  bool profile = false;
  /// Let gcomp-outline-kernels split large kernels across threads.
  bool parallelKernels = true;
  /// Optimization passes to leave out (see optimizationPasses()).
  std::vector<std::string> disabledPasses;
  /// Test only: the optimization pass to make miscompile on purpose (for
  /// testing gcomp-debug bisect); only gcomp-fuse-elementwise supports it.
  std::string testMiscompilePass;
  /// Test only: with testMiscompilePass, break only the ops that contain
  /// this fusion (-1: all fused ops).
  int64_t testMiscompileFusion = -1;
  /// Apply only the first N elementwise fusions (-1: all); gcomp-debug
  /// bisect halves this to find the fusion that breaks a model.
  int64_t maxFusions = -1;
  /// Report every elementwise fusion as a remark.
  bool printFusions = false;
  /// Default thread count recorded in the model (0: every CPU).
  int64_t threads = 0;
  /// Record in the model that its runs flush denormals (FTZ and DAZ).
  bool flushDenormals = false;
  /// The largest result, in bytes, that gcomp-fold-constants computes.
  int64_t foldLimit = 64 << 20;
};

/// The passes that only optimize, which a user or gcomp-debug bisect may
/// disable without changing what the model computes.
std::vector<std::string> optimizationPasses();

/// Adds the passes that take a module from the phase before `phase` to it.
/// Returns failure if an upstream pipeline string does not parse.
llvm::LogicalResult buildPhase(mlir::OpPassManager &pm, Phase phase,
                               const PipelineOptions &options);

/// Adds every phase after `Import` up to and including `last`.
llvm::LogicalResult buildPipelineUpTo(mlir::OpPassManager &pm, Phase last,
                                      const PipelineOptions &options);

/// Registers `gcomp-graph`, `gcomp-to-linalg-pipeline`,
/// `gcomp-bufferize-pipeline`, `gcomp-to-llvm-pipeline` and
/// `gcomp-cpu-pipeline` for gcomp-opt.
void registerGcompPipelines();

} // namespace gcomp

#endif
