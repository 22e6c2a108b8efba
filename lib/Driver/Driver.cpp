//===- Driver.cpp - the library behind the gcomp command ------------------===//
//
// Import -> phases of Pipelines.h -> LLVM IR -> object -> LLD -> model.so,
// stopping wherever --emit says. Every output is written to a temporary
// file beside its destination and renamed into place only on success, so a
// failed compile never leaves a partial file.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Driver/Driver.h"
#include "ModelHeader.h"
#include "ResourceLimits.h"

#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/Dialect/Gcomp/Transforms/KernelGraph.h"
#include "gcomp/Dialect/Gcomp/Transforms/Stats.h"
#include "gcomp/Import/OnnxImporter.h"
#include "gcomp/InitAll.h"
#include "gcomp/Pipelines/Pipelines.h"
#include "gcomp/Target/CPU/CPUTarget.h"
#include "gcomp/Target/Link.h"
#include "gcomp/Target/Variants.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>
#include <set>

#include "RuntimeHeader.inc"

using namespace mlir;
using namespace llvm;

namespace gcomp {

std::string versionString() {
  return std::string(kGcompVersion) + " (LLVM " LLVM_VERSION_STRING ")";
}

namespace {

/// --specialize compiles the model once per variant: a bound on the work.
constexpr size_t kMaxVariants = 64;

/// A file written under a temporary name and renamed into place by
/// commit(); removed if never committed. A destination that exists and is
/// not a regular file (/dev/null, a pipe) is written directly: renaming over
/// it would replace the device with a file.
class AtomicOutput {
public:
  explicit AtomicOutput(StringRef finalPath) : finalPath(finalPath.str()) {}
  ~AtomicOutput() {
    if (!tempPath.empty() && !direct) {
      sys::fs::remove(tempPath);
      sys::DontRemoveFileOnSignal(tempPath);
    }
  }
  /// Reserves the temporary path (once); the caller writes it.
  Error reserve() {
    if (!tempPath.empty())
      return Error::success();
    sys::fs::file_status status;
    if (!sys::fs::status(finalPath, status) &&
        sys::fs::exists(status) && !sys::fs::is_regular_file(status) &&
        !sys::fs::is_directory(status)) {
      direct = true;
      tempPath = finalPath;
      return Error::success();
    }
    SmallString<256> model(finalPath);
    model += ".tmp-%%%%%%";
    int fd;
    SmallString<256> path;
    if (std::error_code ec = sys::fs::createUniqueFile(model, fd, path))
      return createStringError("cannot create '" + finalPath +
                               "': " + ec.message());
    sys::fs::closeFile(fd);
    tempPath = std::string(path);
    // Also removed if the compile dies of a signal or runs out of memory.
    sys::RemoveFileOnSignal(tempPath);
    return Error::success();
  }
  Error write(StringRef bytes) {
    if (Error e = reserve())
      return e;
    std::error_code ec;
    raw_fd_ostream os(tempPath, ec);
    if (!ec) {
      os << bytes;
      os.close();
      ec = os.error();
    }
    if (ec)
      return createStringError("cannot write '" + finalPath +
                               "': " + ec.message());
    return Error::success();
  }
  Error commit() {
    if (!direct) {
      if (std::error_code ec = sys::fs::rename(tempPath, finalPath))
        return createStringError("cannot write '" + finalPath +
                                 "': " + ec.message());
      sys::DontRemoveFileOnSignal(tempPath);
    }
    tempPath.clear();
    return Error::success();
  }
  const std::string &path() const { return tempPath; }

private:
  std::string finalPath, tempPath;
  bool direct = false;
};

/// Frees the bytes of every dense_resource blob (the weights) that `keep`
/// does not reference, or of all of them when `keep` is null: a weight a
/// pass replaced (by its packed or folded form) and, once the LLVM module
/// holds its own copy of the constants, every one. The handles stay valid
/// and empty. Without this, a model's weights would be held three or four
/// times over at the compile's peak.
void releaseResourceBlobs(MLIRContext &context, Operation *keep) {
  llvm::StringSet<> used;
  if (keep)
    keep->walk([&](Operation *op) {
      op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
        used.insert(attr.getRawHandle().getKey());
      });
    });
  DialectResourceBlobManager &manager =
      DenseResourceElementsHandle::getManagerInterface(&context)
          .getBlobManager();
  SmallVector<std::string> unused;
  manager.getBlobMap([&](const llvm::StringMap<
                          DialectResourceBlobManager::BlobEntry> &blobs) {
    for (const auto &entry : blobs) {
      const AsmResourceBlob *blob = entry.getValue().getBlob();
      if (blob && !blob->getData().empty() && !used.contains(entry.getKey()))
        unused.push_back(entry.getKey().str());
    }
  });
  for (const std::string &name : unused)
    manager.update(name, AsmResourceBlob());
}

class Compiler {
public:
  explicit Compiler(const DriverOptions &options) : options(options) {}
  int run();

private:
  void error(const Twine &message) {
    errs() << "gcomp: error: " << options.inputPath << ": " << message << "\n";
  }
  int fail(Error e) {
    error(toString(std::move(e)));
    return 1;
  }
  /// Prints text output to stdout or writes it atomically to -o.
  int writeText(StringRef text);
  /// Writes the make-style depfile of -MD -MF: the output depends on the
  /// model file and on every external data file it read.
  Error writeDepfile(const std::set<std::string> &dataFiles);
  /// Runs the phases after Import up to `last`, one pass manager each,
  /// timing them and counting what --stats reports.
  LogicalResult runPhases(ModuleOp module, Phase last,
                          const PipelineOptions &pipelineOptions);
  LogicalResult runPhase(ModuleOp module, Phase phase,
                         const PipelineOptions &pipelineOptions);
  /// Times one step of the compile for --stats.
  template <typename Fn> auto timed(StringRef step, Fn &&fn) {
    auto start = std::chrono::steady_clock::now();
    auto result = fn();
    phaseSeconds.push_back(
        {step.str(), std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count()});
    return result;
  }
  void printStats(ModuleOp module);
  /// --specialize: the flags that cannot go with it, and too many variants.
  LogicalResult checkSpecializations();
  /// The dim values of each variant: --dim's, plus one combination of the
  /// --specialize sizes (a single variant without --specialize).
  std::vector<std::map<std::string, int64_t>> variantDims() const;
  /// Imports the model with the dims of variant `index` fixed.
  OwningOpRef<ModuleOp> importVariant(MLIRContext &context,
                                      ImportOptions importOptions,
                                      size_t index,
                                      const std::map<std::string, int64_t> &dims);
  /// What --stats reports of one variant.
  struct StatsSnapshot {
    size_t onnxNodes = 0;
    std::optional<GraphOpCounts> graphOps;
    std::optional<int64_t> graphTensorBytes, constantBytesAfterBuffers;
    std::map<std::string, int64_t> kernels;
  };
  StatsSnapshot snapshotStats() const {
    return {onnxNodes, graphOps, graphTensorBytes, constantBytesAfterBuffers,
            kernels};
  }
  void restoreStats(const StatsSnapshot &s) {
    onnxNodes = s.onnxNodes;
    graphOps = s.graphOps;
    graphTensorBytes = s.graphTensorBytes;
    constantBytesAfterBuffers = s.constantBytesAfterBuffers;
    kernels = s.kernels;
  }
  size_t numVariants = 1;
  /// Renders --dump-graph's DOT after `phase`, if it is the fused graph.
  void renderKernelGraph(ModuleOp module, const PipelineOptions &pipelineOptions,
                         Phase phase);
  /// --dump-graph's text, written with the outputs.
  std::string kernelGraph;

  const DriverOptions &options;
  /// What --stats reports, gathered along the way.
  std::vector<std::pair<std::string, double>> phaseSeconds;
  size_t onnxNodes = 0;
  std::optional<GraphOpCounts> graphOps;
  std::optional<int64_t> graphTensorBytes;
  std::optional<int64_t> constantBytesAfterBuffers;
  std::map<std::string, int64_t> kernels;

};

/// What --emit=KIND is called on the command line.
static std::string emitName(EmitKind kind) {
  switch (kind) {
  case EmitKind::Object:
    return "obj";
  case EmitKind::StaticLib:
    return "static-lib";
  case EmitKind::SharedLib:
    return "so";
  case EmitKind::Import:
    return "import";
  case EmitKind::Gcomp:
    return "gcomp";
  case EmitKind::Linalg:
    return "linalg";
  case EmitKind::Buffers:
    return "buffers";
  case EmitKind::LLVMDialect:
    return "llvm-dialect";
  case EmitKind::LLVMIR:
    return "llvm";
  case EmitKind::PTX:
    return "ptx";
  case EmitKind::Asm:
    return "asm";
  }
  return "text";
}

/// MODEL.so, MODEL.o or libMODEL.a in the current folder.
static std::string defaultOutputPath(StringRef inputPath, EmitKind kind) {
  StringRef stem = sys::path::stem(inputPath);
  switch (kind) {
  case EmitKind::Object:
    return (stem + ".o").str();
  case EmitKind::StaticLib:
    return ("lib" + stem + ".a").str();
  default:
    return (stem + ".so").str();
  }
}

/// A path as a make/ninja depfile spells it.
static std::string escapeForDepfile(StringRef path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '#')
      out.push_back('\\');
    if (c == '$')
      out.push_back('$');
    out.push_back(c);
  }
  return out;
}

Error Compiler::writeDepfile(const std::set<std::string> &dataFiles) {
  std::string target = options.outputPath;
  if (target.empty() || target == "-")
    target = defaultOutputPath(options.inputPath, options.emit);
  std::string text = escapeForDepfile(target) + ":";
  text += " " + escapeForDepfile(options.inputPath);
  for (const std::string &file : dataFiles)
    text += " \\\n  " + escapeForDepfile(file);
  text += "\n";
  AtomicOutput depfile(options.depfilePath);
  if (Error e = depfile.write(text))
    return e;
  return depfile.commit();
}

int Compiler::writeText(StringRef text) {
  if (options.outputPath.empty() || options.outputPath == "-") {
    outs() << text;
    outs().flush();
    return 0;
  }
  AtomicOutput out(options.outputPath);
  if (Error e = out.write(text))
    return fail(std::move(e));
  if (Error e = out.commit())
    return fail(std::move(e));
  return 0;
}

LogicalResult Compiler::runPhase(ModuleOp module, Phase phase,
                                 const PipelineOptions &pipelineOptions) {
  mlir::PassManager pm(module->getContext());
  if (failed(buildPhase(pm, phase, pipelineOptions)))
    return failure();
  if (options.printIRAfterAll || !options.printIRAfter.empty()) {
    module->getContext()->disableMultithreading();
    std::vector<std::string> names = options.printIRAfter;
    bool all = options.printIRAfterAll;
    pm.enableIRPrinting(
        /*shouldPrintBeforePass=*/nullptr,
        [names, all](mlir::Pass *pass, Operation *) {
          return all || llvm::is_contained(names, pass->getArgument());
        },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false,
        /*printAfterOnlyOnFailure=*/false, errs());
  }
  if (options.timing)
    pm.enableTiming();
  return pm.run(module);
}

LogicalResult Compiler::runPhases(ModuleOp module, Phase last,
                                  const PipelineOptions &pipelineOptions) {
  static const std::pair<Phase, const char *> phases[] = {
      {Phase::Graph, "graph"},
      {Phase::Linalg, "linalg"},
      {Phase::Buffers, "buffers"},
      {Phase::LLVM, "llvm-dialect"}};
  for (const auto &step : phases) {
    Phase phase = step.first;
    const char *name = step.second;
    if (static_cast<int>(phase) > static_cast<int>(last))
      break;
    if (failed(timed(name, [&] {
          return runPhase(module, phase, pipelineOptions);
        })))
      return failure();
    // Weights the phase replaced (folded, packed, relaid) are dead now.
    releaseResourceBlobs(*module.getContext(), module);
    auto entry = module.lookupSymbol<func::FuncOp>(pipelineOptions.entryName);
    if (phase == Phase::Graph && entry)
      graphOps = countGraphOps(entry);
    if (phase == Phase::Buffers && entry)
      kernels = countKernels(entry);
    if (phase == Phase::Buffers)
      constantBytesAfterBuffers = constantBytes(module);
    if (phase == Phase::Linalg || phase == last)
      renderKernelGraph(module, pipelineOptions, phase);
  }
  if (last == Phase::Import)
    renderKernelGraph(module, pipelineOptions, last);
  return success();
}

void Compiler::renderKernelGraph(ModuleOp module,
                                 const PipelineOptions &pipelineOptions,
                                 Phase phase) {
  // The fused graph is the end of the linalg phase; a compile that stops
  // earlier gets the last graph it made. After bufferization the kernels
  // no longer pass tensors, so later phases keep the linalg one.
  if (options.dumpGraphPath.empty() ||
      static_cast<int>(phase) > static_cast<int>(Phase::Linalg))
    return;
  auto entry = module.lookupSymbol<func::FuncOp>(pipelineOptions.entryName);
  if (!entry)
    return;
  kernelGraph.clear();
  raw_string_ostream os(kernelGraph);
  writeKernelGraph(entry, os);
}

void Compiler::printStats(ModuleOp module) {
  // Beside a text output on stdout, the statistics go to stderr.
  bool textOnStdout = options.emit != EmitKind::SharedLib &&
                      (options.outputPath.empty() || options.outputPath == "-");
  raw_ostream &os = textOnStdout ? errs() : outs();
  json::OStream j(os, /*IndentSize=*/2);
  j.object([&] {
    j.attribute("model", options.inputPath);
    j.attribute("onnx_nodes", static_cast<int64_t>(onnxNodes));
    if (numVariants > 1)
      j.attribute("variants", static_cast<int64_t>(numVariants));
    if (graphOps) {
      j.attribute("graph_ops", graphOps->others);
      j.attribute("graph_constants", graphOps->constants);
    }
    if (!kernels.empty()) {
      int64_t total = 0;
      for (const auto &kind : kernels)
        total += kind.second;
      j.attribute("kernels", total);
      j.attributeObject("kernels_by_kind", [&] {
        for (const auto &[kind, count] : kernels)
          j.attribute(kind, count);
      });
    }
    auto moduleBytes = [&](StringRef attr, StringRef key) {
      if (auto value = module->getAttrOfType<IntegerAttr>(attr))
        j.attribute(key, value.getInt());
    };
    moduleBytes(kWorkspaceBytesAttr, "arena_bytes");
    moduleBytes(kBufferBytesLowerBoundAttr, "buffer_bytes_lower_bound");
    moduleBytes(kBufferBytesNaiveAttr, "buffer_bytes_naive");
    if (graphTensorBytes && module->hasAttr(kWorkspaceBytesAttr))
      j.attribute("graph_tensor_bytes", *graphTensorBytes);
    if (constantBytesAfterBuffers)
      j.attribute("constant_bytes", *constantBytesAfterBuffers);
    j.attributeObject("compile_seconds", [&] {
      double total = 0;
      auto seconds = [&](StringRef key, double value) {
        j.attributeBegin(key);
        j.rawValue(formatv("{0:F4}", value).str());
        j.attributeEnd();
      };
      // Steps repeat once per variant (--specialize): report their sum.
      std::vector<std::pair<std::string, double>> steps;
      for (const auto &[step, value] : phaseSeconds) {
        StringRef name = step;
        auto it = llvm::find_if(steps, [&](auto &s) { return s.first == name; });
        if (it == steps.end())
          steps.push_back({step, value});
        else
          it->second += value;
        total += value;
      }
      for (const auto &[step, value] : steps)
        seconds(step, value);
      seconds("total", total);
    });
  });
  os << "\n";
  os.flush();
}

LogicalResult Compiler::checkSpecializations() {
  auto refuse = [&](const std::string &what) {
    error("--specialize builds one library from several compiles; " + what);
    return failure();
  };
  if (options.emit < EmitKind::LLVMIR)
    return refuse("--emit=" + emitName(options.emit) +
                  " shows one compile: fix the dims with --dim instead");
  if (options.profile)
    return refuse("--profile is not supported with it yet");
  if (!options.dumpGraphPath.empty())
    return refuse("--dump-graph draws one compile: fix the dims with --dim "
                  "instead");
  size_t count = 1;
  for (const auto &[name, sizes] : options.specializations) {
    if (options.dimValues.count(name))
      return refuse("'" + name + "' is given both to --dim and to "
                    "--specialize");
    count *= sizes.size();
    if (count > kMaxVariants)
      return refuse("the sizes given make more than " +
                    std::to_string(kMaxVariants) + " variants");
  }
  return success();
}

std::vector<std::map<std::string, int64_t>> Compiler::variantDims() const {
  std::vector<std::map<std::string, int64_t>> variants = {options.dimValues};
  for (const auto &[name, sizes] : options.specializations) {
    std::vector<std::map<std::string, int64_t>> next;
    for (const auto &variant : variants)
      for (int64_t size : sizes) {
        next.push_back(variant);
        next.back()[name] = size;
      }
    variants = std::move(next);
  }
  return variants;
}

OwningOpRef<ModuleOp>
Compiler::importVariant(MLIRContext &context, ImportOptions importOptions,
                        size_t index,
                        const std::map<std::string, int64_t> &dims) {
  importOptions.dimValues = dims;
  for (const auto &[name, sizes] : options.specializations) {
    std::string flag = "--specialize " + name + "=";
    for (auto [i, size] : llvm::enumerate(sizes))
      flag += (i ? "," : "") + std::to_string(size);
    importOptions.dimValueFlags[name] = flag;
  }
  if (index > 0)
    importOptions.nodeCount = nullptr;
  OwningOpRef<ModuleOp> module = timed("import", [&] {
    return importOnnxFile(options.inputPath, context, importOptions);
  });
  if (!module || failed(mlir::verify(*module)))
    return nullptr;
  if (options.stats && index == 0)
    if (auto entry = module->lookupSymbol<func::FuncOp>(importOptions.entryName))
      graphTensorBytes = intermediateTensorBytes(entry);
  return module;
}

/// The signature of a library of variants: a dim that differs between
/// them is dynamic.
static mlir::FunctionType mergedSignature(ArrayRef<mlir::FunctionType> variants) {
  auto merge = [&](auto typesOf) {
    SmallVector<mlir::Type> merged;
    for (auto [i, first] : llvm::enumerate(typesOf(variants.front()))) {
      auto tensor = cast<RankedTensorType>(first);
      SmallVector<int64_t> shape(tensor.getShape());
      for (mlir::FunctionType variant : variants.drop_front()) {
        auto other = cast<RankedTensorType>(typesOf(variant)[i]);
        for (auto [d, size] : llvm::enumerate(other.getShape()))
          if (shape[d] != size)
            shape[d] = ShapedType::kDynamic;
      }
      merged.push_back(tensor.clone(shape));
    }
    return merged;
  };
  return mlir::FunctionType::get(
      variants.front().getContext(),
      merge([](mlir::FunctionType t) { return t.getInputs(); }),
      merge([](mlir::FunctionType t) { return t.getResults(); }));
}

int Compiler::run() {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  // One line per problem: "gcomp: error: model.onnx: node 'x' (...): ...".
  // Notes ("see current operation") are dropped unless IR printing is on.
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Note)
      return success();
    std::string message = diag.str();
    // gpu-module-to-binary reports a missing CUDA toolkit even when no
    // kernel needs libdevice from it; the check after the pipeline says so
    // when one does.
    if (StringRef(message).starts_with("CUDA path: ") ||
        StringRef(message).starts_with("LibDevice path: "))
      return success();
    if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      if (!StringRef(message).starts_with("node '"))
        message = "node '" + name.getName().str() + "': " + message;
    StringRef severity = "warning";
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error)
      severity = "error";
    else if (diag.getSeverity() == mlir::DiagnosticSeverity::Remark)
      severity = "remark";
    errs() << "gcomp: " << severity << ": " << options.inputPath << ": " << message << "\n";
    return success();
  });

  // Resolve the target first: --mcpu typos fail before any work.
  bool needsTarget = options.emit >= EmitKind::Linalg;
  std::unique_ptr<TargetMachine> tm;
  PipelineOptions pipelineOptions;
  pipelineOptions.producer = kGcompVersion;
  pipelineOptions.profile = options.profile;
  std::vector<std::string> optional = optimizationPasses();
  for (const std::string &name : options.disabledPasses)
    if (!llvm::is_contained(optional, name)) {
      error("--disable-pass: '" + name +
            "' is not an optimization pass (those are: " +
            llvm::join(optional, ", ") + ")");
      return 1;
    }
  pipelineOptions.disabledPasses = options.disabledPasses;
  // -O0: no optimization pass at all, the reference the optimizer's output
  // is checked against.
  if (options.optLevel == 0)
    pipelineOptions.disabledPasses = optional;
  if (!options.debugMiscompilePass.empty()) {
    auto [pass, fusion] = StringRef(options.debugMiscompilePass).split(':');
    int64_t index = -1;
    if (pass != "gcomp-fuse-elementwise" ||
        (!fusion.empty() && (fusion.getAsInteger(10, index) || index < 0))) {
      error("--debug-miscompile: only gcomp-fuse-elementwise (or "
            "gcomp-fuse-elementwise:K for its fusion K) can miscompile on "
            "purpose");
      return 1;
    }
    pipelineOptions.testMiscompilePass = pass.str();
    pipelineOptions.testMiscompileFusion = index;
  }
  pipelineOptions.maxFusions = options.debugFusionLimit;
  pipelineOptions.threads = options.threads;
  pipelineOptions.flushDenormals = options.flushDenormals;
  pipelineOptions.foldLimit = options.foldLimit;
  pipelineOptions.printFusions = options.debugPrintFusions;
  if (options.target == "cuda") {
    pipelineOptions.target = gcomp::Target::CUDA;
    if (options.flushDenormals) {
      error("--flush-denormals sets the CPU's float mode for CPU models; a "
            "CUDA model's kernels keep denormals");
      return 1;
    }
    StringRef arch = options.gpuArch;
    unsigned sm = 0;
    if (!arch.consume_front("sm_") || arch.getAsInteger(10, sm) || sm < 50) {
      error("--gpu-arch '" + options.gpuArch +
            "' is not an NVIDIA GPU architecture (sm_80, sm_90, ...; sm_50 "
            "or newer)");
      return 1;
    }
    pipelineOptions.gpuArch = options.gpuArch;
    if (!options.cudaPath.empty() && !sys::fs::is_directory(options.cudaPath)) {
      error("--cuda-path '" + options.cudaPath + "' is not a folder");
      return 1;
    }
    pipelineOptions.cudaPath = options.cudaPath;
    pipelineOptions.gpuWarpReductions = !options.gpuSimpleKernels;
    pipelineOptions.gpuTileContractions = !options.gpuSimpleKernels;
    pipelineOptions.allowTf32 = options.allowTf32 && !options.gpuSimpleKernels;
    if (options.allowTf32 && sm < 80) {
      error("--allow-tf32 needs tensor cores with TF32: --gpu-arch sm_80 or "
            "newer");
      return 1;
    }
    if (options.cudaPath.empty() &&
        sys::fs::exists("/usr/local/cuda/nvvm/libdevice"))
      pipelineOptions.cudaPath = "/usr/local/cuda";
    std::string refused;
    if (options.profile)
      refused = "--profile";
    else if (!options.specializations.empty())
      refused = "--specialize";
    if (!refused.empty()) {
      error(refused + " is not supported with --target=cuda yet");
      return 1;
    }
  } else if (options.target != "cpu") {
    error("--target '" + options.target + "': expected cpu or cuda");
    return 1;
  } else if (options.emit == EmitKind::PTX) {
    error("--emit=ptx needs --target=cuda");
    return 1;
  } else if (options.allowTf32) {
    error("--allow-tf32 needs --target=cuda");
    return 1;
  }
  if (needsTarget) {
    cpu::TargetOptions targetOptions{options.triple, options.cpu,
                                     options.features, options.optLevel};
    auto created = cpu::createTargetMachine(targetOptions);
    if (!created)
      return fail(created.takeError());
    tm = std::move(*created);
    pipelineOptions.cpuFeatures = cpu::runtimeCheckedFeatures(*tm);
  }

  std::string runtimeLib = options.runtimeLib;
  if (options.emit >= EmitKind::Object && runtimeLib.empty()) {
    runtimeLib = findRuntimeArchive(options.argv0, options.mainAddr,
                                    tm->getTargetTriple().str());
    if (runtimeLib.empty()) {
      error("cannot find the libgcomp_runtime.a built for " +
            tm->getTargetTriple().str() +
            " next to gcomp (pass --runtime-lib, or build gcomp with that "
            "target in GCOMP_RUNTIME_TARGETS)");
      return 1;
    }
  }
  if (!isValidSymbolPrefix(options.symbolPrefix)) {
    error("--symbol-prefix '" + options.symbolPrefix +
          "' must start a C identifier ([A-Za-z_][A-Za-z0-9_]*)");
    return 1;
  }

  ImportOptions importOptions;
  importOptions.entryName = pipelineOptions.entryName;
  importOptions.inputShapes = options.inputShapes;
  importOptions.dimValues = options.dimValues;
  if (options.maxMemory)
    importOptions.maxTensorBytes = options.maxMemory;
  // Symbolic dims that no flag fixes are compiled as they are (the generic
  // variant, docs/dynamic-shapes.md) on the CPU; the CUDA target and
  // libraries of variants need them fixed.
  bool genericVariant = pipelineOptions.target == gcomp::Target::CPU &&
                        options.specializations.empty();
  importOptions.requireStaticInputs =
      options.emit >= EmitKind::Linalg && !genericVariant;
  importOptions.nodeCount = &onnxNodes;
  std::set<std::string> dataFiles;
  importOptions.dataFiles = &dataFiles;
  if (!options.specializations.empty() && failed(checkSpecializations()))
    return 1;
  std::vector<std::map<std::string, int64_t>> variants = variantDims();
  numVariants = variants.size();
  OwningOpRef<ModuleOp> module = importVariant(context, importOptions, 0,
                                               variants.front());
  if (!module)
    return 1;
  if (pipelineOptions.target == gcomp::Target::CUDA) {
    auto entry = module->lookupSymbol<func::FuncOp>(pipelineOptions.entryName);
    for (unsigned i = 0; entry && i < entry.getNumResults(); ++i)
      if (auto name = entry.getResultAttrOfType<StringAttr>(i, kNameAttr);
          name && entry.getResultAttr(i, kDataDependentDimsAttr)) {
        error("output '" + name.str() +
              "' has a size that depends on the input values, which "
              "--target=cuda does not support yet");
        return 1;
      }
  }

  // The header describes the model as imported (its signature, with -1
  // where variants differ); it and the depfile are committed only once the
  // main output is.
  std::optional<AtomicOutput> header;
  auto writeHeader = [&](func::FuncOp entry) -> int {
    if (options.headerPath.empty())
      return 0;
    header.emplace(options.headerPath);
    if (Error e = header->write(renderModelHeader(
            entry, sys::path::filename(options.headerPath),
            options.symbolPrefix)))
      return fail(std::move(e));
    return 0;
  };
  if (variants.size() == 1)
    if (int rc = writeHeader(
            module->lookupSymbol<func::FuncOp>(pipelineOptions.entryName)))
      return rc;

  // --dump-graph's file is reserved now, so that a path that cannot be
  // written fails the compile before any output exists.
  std::optional<AtomicOutput> graph;
  if (!options.dumpGraphPath.empty()) {
    graph.emplace(options.dumpGraphPath);
    if (Error e = graph->reserve())
      return fail(std::move(e));
  }

  if (!options.debugPerturbNode.empty()) {
    mlir::PassManager pm(&context);
    if (failed(parsePassPipeline("gcomp-test-perturb-node{node=" +
                                     options.debugPerturbNode + "}",
                                 pm, errs())) ||
        failed(pm.run(*module)))
      return 1;
  }

  // Successful exits print --stats.
  auto finish = [&](int rc) {
    if (rc != 0)
      return rc;
    if (header)
      if (Error e = header->commit())
        return fail(std::move(e));
    if (!options.depfilePath.empty())
      if (Error e = writeDepfile(dataFiles))
        return fail(std::move(e));
    if (graph) {
      if (Error e = graph->write(kernelGraph))
        return fail(std::move(e));
      if (Error e = graph->commit())
        return fail(std::move(e));
    }
    if (options.stats)
      printStats(*module);
    return 0;
  };
  auto printModule = [&]() {
    std::string text;
    raw_string_ostream os(text);
    module->print(os);
    return writeText(text);
  };
  static const std::pair<EmitKind, Phase> mlirStages[] = {
      {EmitKind::Import, Phase::Import}, {EmitKind::Gcomp, Phase::Graph},
      {EmitKind::Linalg, Phase::Linalg}, {EmitKind::Buffers, Phase::Buffers},
      {EmitKind::LLVMDialect, Phase::LLVM}};
  // A model whose symbolic dims the generic variant cannot compile yet gets
  // the flags that would fix them after the compiler's own message.
  std::string symbolicHint;
  if (auto entry = module->lookupSymbol<func::FuncOp>(pipelineOptions.entryName)) {
    std::vector<std::string> names;
    bool dynamic = false;
    for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
      auto type = dyn_cast<RankedTensorType>(entry.getArgumentTypes()[i]);
      if (!type || type.hasStaticShape())
        continue;
      dynamic = true;
      if (auto dimNames = entry.getArgAttrOfType<ArrayAttr>(i, kDimNamesAttr))
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            if (auto n = dyn_cast<StringAttr>(dimNames[d]);
                n && !n.getValue().empty() &&
                !llvm::is_contained(names, n.str()))
              names.push_back(n.str());
    }
    std::string pins;
    for (const std::string &n : names)
      pins += " --dim " + n + "=SIZE";
    if (dynamic)
      symbolicHint =
          "the model has symbolic dims, which may be why: gcomp compiles "
          "them as they are (one library for every size) for the ops of "
          "transformers and of CNNs over a symbolic batch, but not yet for "
          "every op (docs/dynamic-shapes.md says which); fix them with" +
          (pins.empty() ? std::string(" --shape NAME=DIMS") : pins +
                                                                 " (or --shape NAME=DIMS)") +
          ", or compile several sizes into one library with --specialize "
          "NAME=N1,N2";
  }
  auto failCompile = [&]() {
    if (!symbolicHint.empty())
      error(symbolicHint);
    return 1;
  };
  for (auto [kind, phase] : mlirStages)
    if (options.emit == kind) {
      if (failed(runPhases(*module, phase, pipelineOptions)))
        return failCompile();
      return finish(printModule());
    }
  // Each variant is compiled on its own down to LLVM IR; the variants are
  // then linked into one module whose tables let the runtime pick one.
  LLVMContext llvmContext;
  std::vector<std::unique_ptr<llvm::Module>> variantModules;
  OwningOpRef<ModuleOp> variantModule;
  // The imported entry of the first variant, its type made the merged
  // signature at the end, for the header.
  OwningOpRef<ModuleOp> headerModule;
  SmallVector<mlir::FunctionType> variantTypes;
  StatsSnapshot firstStats;
  for (size_t i = 0; i < variants.size(); ++i) {
    ModuleOp current = *module;
    if (i > 0) {
      variantModule = importVariant(context, importOptions, i, variants[i]);
      if (!variantModule)
        return 1;
      current = *variantModule;
    }
    auto entry = current.lookupSymbol<func::FuncOp>(pipelineOptions.entryName);
    variantTypes.push_back(entry.getFunctionType());
    if (i == 0 && variants.size() > 1 && !options.headerPath.empty()) {
      headerModule = ModuleOp::create(entry.getLoc());
      OpBuilder b(headerModule->getBodyRegion());
      auto decl = func::FuncOp::create(b, entry.getLoc(), entry.getName(),
                                       entry.getFunctionType());
      decl.setAllArgAttrs(entry.getAllArgAttrs());
      decl.setAllResultAttrs(entry.getAllResultAttrs());
    }
    if (failed(runPhases(current, Phase::LLVM, pipelineOptions)))
      return failCompile();
    if (pipelineOptions.target == gcomp::Target::CUDA) {
      std::string ptx;
      current.walk([&](gpu::BinaryOp binary) {
        for (mlir::Attribute object : binary.getObjects())
          ptx += cast<gpu::ObjectAttr>(object).getObject().getValue();
      });
      // Math functions come from libdevice; without it they stay external
      // and the driver would refuse the kernels only at run time.
      size_t missing = ptx.find(".extern .func");
      if (missing != std::string::npos) {
        size_t name = ptx.find("__nv_", missing);
        std::string function =
            name == std::string::npos
                ? "a function"
                : ptx.substr(name, ptx.find_first_of(" \n(", name) - name);
        error("the kernels call " + function +
              ", a math function from CUDA's libdevice, which was not found " +
              (pipelineOptions.cudaPath.empty()
                   ? std::string("(no /usr/local/cuda)")
                   : "under " + pipelineOptions.cudaPath) +
              ": pass --cuda-path=DIR, DIR holding "
              "nvvm/libdevice/libdevice.10.bc");
        return 1;
      }
      if (options.emit == EmitKind::PTX)
        return finish(writeText(ptx));
    }
    // (runPhases freed the weights the LLVM phase left dead.)
    auto llvmModule = timed("llvm-ir", [&] {
      return cpu::translateAndOptimize(current, llvmContext, *tm,
                                       options.optLevel);
    });
    if (!llvmModule)
      return fail(llvmModule.takeError());
    variantModules.push_back(std::move(*llvmModule));
    // --stats describes the first variant (and the time of all).
    if (i == 0)
      firstStats = snapshotStats();
  }
  restoreStats(firstStats);
  if (headerModule) {
    auto decl = cast<func::FuncOp>(headerModule->getBody()->front());
    decl.setFunctionType(mergedSignature(variantTypes));
    if (int rc = writeHeader(decl))
      return rc;
  }
  auto llvmModule = variants.size() == 1
                        ? Expected<std::unique_ptr<llvm::Module>>(
                              std::move(variantModules.front()))
                        : timed("merge-variants", [&] {
                            return mergeVariants(std::move(variantModules));
                          });
  if (!llvmModule)
    return fail(llvmModule.takeError());
  if (options.emit == EmitKind::LLVMIR) {
    std::string text;
    raw_string_ostream os(text);
    (*llvmModule)->print(os, nullptr);
    return finish(writeText(text));
  }
  if (options.emit == EmitKind::Asm) {
    SmallString<0> text;
    raw_svector_ostream os(text);
    legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr, CodeGenFileType::AssemblyFile))
      return fail(createStringError("the target cannot emit assembly"));
    pm.run(**llvmModule);
    return finish(writeText(text));
  }
  // From here on, the LLVM module holds the only copy of the weights that
  // is needed, and after the object is emitted, the object does.
  releaseResourceBlobs(context, nullptr);
  SmallVector<char, 0> object;
  if (Error e = timed("object", [&] {
        return cpu::emitObject(**llvmModule, *tm, object);
      }))
    return fail(std::move(e));
  llvmModule->reset();
  StringRef objectBytes(object.data(), object.size());

  // The object, the static library and the shared library all hold the
  // model with its runtime; the file appears only once it is complete.
  std::string outputPath = options.outputPath;
  if (outputPath == "-") {
    error("--emit=" + emitName(options.emit) + " needs -o FILE");
    return 1;
  }
  if (outputPath.empty())
    outputPath = defaultOutputPath(options.inputPath, options.emit);
  AtomicOutput output(outputPath);
  if (Error e = output.reserve())
    return fail(std::move(e));
  LinkOptions linkOptions;
  linkOptions.runtimeArchive = runtimeLib;
  linkOptions.symbolPrefix = options.symbolPrefix;
  linkOptions.outputName = sys::path::filename(outputPath).str();
  linkOptions.sharedLibs = findSystemSharedLibs(tm->getTargetTriple().str());
  LinkOutput kind = options.emit == EmitKind::Object ? LinkOutput::Object
                    : options.emit == EmitKind::StaticLib
                        ? LinkOutput::StaticLibrary
                        : LinkOutput::SharedLibrary;
  if (Error e = timed("link", [&] {
        return linkModel(objectBytes, kind, output.path(), linkOptions);
      }))
    return fail(std::move(e));
  if (Error e = output.commit())
    return fail(std::move(e));
  return finish(0);
}

} // namespace

int runDriver(const DriverOptions &options) {
  // The pipelines name upstream passes textually; they must be registered.
  static bool registered = (registerAllPasses(), true);
  (void)registered;
  installOutOfMemoryHandler(options.maxMemory);
  if (options.maxMemory)
    if (Error e = limitHeap(options.maxMemory)) {
      errs() << "gcomp: error: " << toString(std::move(e)) << "\n";
      return 1;
    }
  return Compiler(options).run();
}

} // namespace gcomp
