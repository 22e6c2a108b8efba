//===- Driver.h - the library behind the gcomp command ----------*- C++ -*-===//
#ifndef GCOMP_DRIVER_DRIVER_H
#define GCOMP_DRIVER_DRIVER_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gcomp {

/// What `gcomp` produces, in pipeline order.
enum class EmitKind {
  Import,     ///< gcomp dialect as imported
  Gcomp,      ///< gcomp dialect after graph simplification
  Linalg,     ///< fused linalg on tensors
  Buffers,    ///< bufferized IR
  LLVMDialect,///< MLIR LLVM dialect
  LLVMIR,     ///< optimized LLVM IR
  PTX,        ///< the kernels' PTX (--target=cuda)
  Asm,        ///< target assembly
  Object,     ///< relocatable object: the model and its runtime
  StaticLib,  ///< an archive of that object (libmodel.a)
  SharedLib,  ///< model.so (the default)
};

struct DriverOptions {
  std::string inputPath;
  /// "-" for stdout (text outputs only). Empty: model.so next to the cwd.
  std::string outputPath;
  EmitKind emit = EmitKind::SharedLib;
  /// Also write a C header describing the model's signature.
  std::string headerPath;
  /// Prepended to every exported symbol (and the header's declarations).
  std::string symbolPrefix;
  /// Also write a make-style depfile: the output depends on the model and
  /// its external data files (gcomp -MD -MF FILE).
  std::string depfilePath;
  /// Also write the fused graph (the end of the linalg phase, or the last
  /// phase run before it) as Graphviz DOT, one box per kernel.
  std::string dumpGraphPath;
  std::string triple, cpu, features;
  /// "cpu" or "cuda" (gcomp --target).
  std::string target = "cpu";
  /// CUDA: the GPU architecture of the PTX (gcomp --gpu-arch).
  std::string gpuArch = "sm_80";
  /// CUDA: the toolkit that provides libdevice (gcomp --cuda-path).
  std::string cudaPath;
  /// CUDA: a thread per output element for every op, no shared-memory
  /// tiles or warp reductions (gcomp --gpu-simple-kernels), for comparison.
  bool gpuSimpleKernels = false;
  /// CUDA: fp32 products on tensor cores in TF32 (gcomp --allow-tf32).
  bool allowTf32 = false;
  unsigned optLevel = 2;
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Named symbolic dims pinned to one value (gcomp --dim NAME=N).
  std::map<std::string, int64_t> dimValues;
  /// Named symbolic dims compiled for each of several values, one static
  /// variant per combination, in one library (gcomp --specialize).
  std::map<std::string, std::vector<int64_t>> specializations;
  std::string runtimeLib;
  bool printIRAfterAll = false;
  std::vector<std::string> printIRAfter;
  bool timing = false;
  /// Print a JSON summary of the compile (gcomp --stats).
  bool stats = false;
  /// Record per-kernel times (read with gcomp-run --profile).
  bool profile = false;
  /// Test only: make the named ONNX node's outputs wrong (+1).
  std::string debugPerturbNode;
  /// Optimization passes to leave out.
  std::vector<std::string> disabledPasses;
  /// Test only: the optimization pass that miscompiles on purpose, with an
  /// optional ":K" to break only its K-th fusion.
  std::string debugMiscompilePass;
  /// Apply only the first N elementwise fusions (-1: all).
  int64_t debugFusionLimit = -1;
  /// Report every elementwise fusion (as a remark on stderr).
  bool debugPrintFusions = false;
  /// Default thread count of the model (0: every CPU at run time).
  int64_t threads = 0;
  /// The model's runs flush denormal floats to zero (--flush-denormals).
  bool flushDenormals = false;
  /// The largest tensor, in bytes, that constant folding computes.
  int64_t foldLimit = 64 << 20;
  /// The most heap the compile may use, in bytes (0: no limit); no tensor
  /// of the model may be larger either (gcomp --max-memory).
  uint64_t maxMemory = 0;
  /// argv[0] and an address in the executable, to find the runtime.
  const char *argv0 = nullptr;
  void *mainAddr = nullptr;
};

/// Runs the compiler; prints diagnostics as `gcomp: error: ...` to stderr.
/// Returns the process exit code. Leaves no output file behind on failure.
int runDriver(const DriverOptions &options);

/// "0.1.0 (LLVM 22.1.x)".
std::string versionString();

} // namespace gcomp

#endif
