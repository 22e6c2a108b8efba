//===- gcomp.cpp - the gcomp command line ---------------------------------===//
//
//   gcomp model.onnx -o model.so [--emit-header model.h]
//   gcomp model.onnx --emit=gcomp|linalg|llvm|obj -o out
//
// Only argument parsing lives here; lib/Driver does the work.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Driver/Driver.h"
#include "gcomp/Import/OnnxImporter.h"
#include "gcomp/Pipelines/Pipelines.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <sstream>

namespace {

/// Parses "x=1x3x224x224" (or "x=1,3,224,224"; "?" or -1 keeps a dim
/// dynamic) into `shapes`.
std::string parseInputShape(
    const std::string &spec,
    std::map<std::string, std::vector<int64_t>> &shapes) {
  auto eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return "--shape expects NAME=DIMS (e.g. x=1x3x224x224), got '" +
           spec + "'";
  std::vector<int64_t> dims;
  std::string dimsText = spec.substr(eq + 1), token;
  for (char &c : dimsText)
    if (c == ',')
      c = 'x';
  std::stringstream ss(dimsText);
  while (std::getline(ss, token, 'x')) {
    if (token == "?" || token == "-1") {
      dims.push_back(-1);
      continue;
    }
    char *end = nullptr;
    long long v = std::strtoll(token.c_str(), &end, 10);
    if (token.empty() || *end != '\0' || v < 0)
      return "--shape: bad dim '" + token + "' in '" + spec + "'";
    dims.push_back(v);
  }
  shapes[spec.substr(0, eq)] = dims;
  return "";
}

/// Parses "seq=128" into `dims`.
std::string parseDimValue(const std::string &spec,
                          std::map<std::string, int64_t> &dims) {
  auto eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return "--dim expects NAME=N (e.g. batch=1), got '" + spec + "'";
  std::string value = spec.substr(eq + 1);
  if (value.find("..") != std::string::npos)
    return "--dim " + spec +
           ": bounded symbolic dims need code generated for dynamic shapes, "
           "which gcomp does not have yet; pin the dim with --dim " +
           spec.substr(0, eq) + "=N, or compile several sizes into one "
           "library with --specialize " + spec.substr(0, eq) + "=N1,N2";
  char *end = nullptr;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v <= 0)
    return "--dim: '" + value + "' in '" + spec +
           "' is not a positive integer";
  dims[spec.substr(0, eq)] = v;
  return "";
}

/// Parses "seq=128,384" into `sizes`.
std::string parseSpecialization(
    const std::string &spec,
    std::map<std::string, std::vector<int64_t>> &sizes) {
  auto eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return "--specialize expects NAME=N1,N2,... (e.g. seq=128,384), got '" +
           spec + "'";
  std::string name = spec.substr(0, eq), token;
  if (sizes.count(name))
    return "--specialize names '" + name + "' twice";
  std::stringstream ss(spec.substr(eq + 1));
  std::vector<int64_t> values;
  while (std::getline(ss, token, ',')) {
    char *end = nullptr;
    long long v = std::strtoll(token.c_str(), &end, 10);
    if (token.empty() || *end != '\0' || v <= 0)
      return "--specialize: '" + token + "' in '" + spec +
             "' is not a positive integer";
    if (std::find(values.begin(), values.end(), v) != values.end())
      return "--specialize: " + token + " appears twice in '" + spec + "'";
    values.push_back(v);
  }
  if (values.empty())
    return "--specialize " + spec + ": no sizes";
  sizes[name] = values;
  return "";
}

} // namespace

int main(int argc, char **argv) {
  gcomp::DriverOptions options;
  options.argv0 = argv[0];
  options.mainAddr = reinterpret_cast<void *>(&main);

  CLI::App app{"gcomp: compiles an ONNX model into a standalone shared "
               "library (model.so) with a C ABI.",
               "gcomp"};
  app.set_version_flag("--version", "gcomp " + gcomp::versionString());
  app.failure_message([](const CLI::App *, const CLI::Error &e) {
    return std::string("gcomp: error: ") + e.what() +
           " (see gcomp --help)\n";
  });
  auto *modelOption = app.add_option(
      "model", options.inputPath,
      "ONNX model (.onnx, or ONNX text format .onnxtext)");
  app.add_option("-o,--output", options.outputPath,
                 "Output file ('-' for stdout with text --emit kinds); "
                 "default: MODEL.so");
  const std::map<std::string, gcomp::EmitKind> emitKinds = {
      {"import", gcomp::EmitKind::Import},
      {"gcomp", gcomp::EmitKind::Gcomp},
      {"linalg", gcomp::EmitKind::Linalg},
      {"buffers", gcomp::EmitKind::Buffers},
      {"llvm-dialect", gcomp::EmitKind::LLVMDialect},
      {"llvm", gcomp::EmitKind::LLVMIR},
      {"ptx", gcomp::EmitKind::PTX},
      {"asm", gcomp::EmitKind::Asm},
      {"obj", gcomp::EmitKind::Object},
      {"static-lib", gcomp::EmitKind::StaticLib},
      {"so", gcomp::EmitKind::SharedLib}};
  app.add_option("--emit", options.emit,
                 "What to produce: import, gcomp (graph IR), linalg, "
                 "buffers, llvm-dialect, llvm (LLVM IR), ptx (the kernels, with "
                 "--target=cuda), asm, obj (the model "
                 "and its runtime as one object), static-lib (that object "
                 "in an archive), so (default)")
      ->transform(CLI::CheckedTransformer(emitKinds, CLI::ignore_case));
  app.add_option("--emit-header", options.headerPath,
                 "Also write a C header for the model (its signature and "
                 "the runtime API)");
  app.add_option("--symbol-prefix", options.symbolPrefix,
                 "Prefix every symbol the output exports (det_: "
                 "det_gcomp_model_create, ...) and the header's "
                 "declarations, so that several models link into one "
                 "program");
  bool writeDepfile = false;
  app.add_flag("--MD", writeDepfile,
               "Also write a make/ninja depfile: the output depends on the "
               "model and its external data files (to -MF FILE, or "
               "OUTPUT.d)");
  app.add_option("--MF", options.depfilePath,
                 "Where -MD writes the depfile (implies -MD)");
  app.add_option("--dump-graph", options.dumpGraphPath,
                 "Also write the fused graph as Graphviz DOT: one box per "
                 "kernel (with the ONNX nodes it computes), edges where one "
                 "reads what another wrote")
      ->type_name("FILE.dot");
  app.add_option("--target", options.target,
                 "What the model runs on: cpu (default), or cuda (NVIDIA "
                 "GPUs: PTX kernels in the library, launched through the "
                 "CUDA driver, which is loaded when the model is created)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--gpu-arch", options.gpuArch,
                 "With --target=cuda: the GPU architecture the PTX is for "
                 "(default sm_80; the driver compiles it for newer GPUs)");
  app.add_flag("--allow-tf32", options.allowTf32,
               "With --target=cuda: fp32 matrix products and convolutions "
               "on tensor cores, their inputs rounded to TF32 (10-bit "
               "mantissa; about 1e-3 relative error): much faster, less "
               "exact; off by default, as in cuBLAS");
  app.add_flag("--gpu-simple-kernels", options.gpuSimpleKernels,
               "With --target=cuda: a thread per output element for every "
               "op, without the shared-memory tiles of matrix products and "
               "convolutions, tensor cores, warp reductions or fused "
               "epilogues (for comparison and debugging)");
  app.add_option("--cuda-path", options.cudaPath,
                 "With --target=cuda: the CUDA toolkit whose libdevice "
                 "provides the math functions (default /usr/local/cuda)");
  app.add_option("--mcpu", options.cpu,
                 "Target CPU (e.g. znver4, sapphirerapids, x86-64-v3); "
                 "default: the host CPU");
  app.add_option("--mtriple", options.triple,
                 "Target triple; default: the host");
  app.add_option("--mattr", options.features,
                 "Target features to add or remove, e.g. -avx512f");
  app.add_option("-O", options.optLevel,
                 "Optimization level 0-3 (default 2); -O0 also leaves out "
                 "every optimization pass (--print-optimization-passes)")
      ->check(CLI::Range(0, 3));
  std::vector<std::string> shapeSpecs;
  app.add_option("--shape,--input-shape", shapeSpecs,
                 "Fix an input's shape: NAME=DIMS, e.g. x=1x3x224x224 "
                 "(repeatable; ? keeps a dim symbolic)");
  std::vector<std::string> dimSpecs;
  app.add_option("--dim", dimSpecs,
                 "Fix a named symbolic dim everywhere it appears: NAME=N, "
                 "e.g. batch=1 (repeatable)");
  std::vector<std::string> specializeSpecs;
  app.add_option("--specialize", specializeSpecs,
                 "Compile a static variant for each size of a named symbolic "
                 "dim, all in one library that picks the variant at run "
                 "time: NAME=N1,N2,... (repeatable; every combination)");
  app.add_option("--runtime-lib", options.runtimeLib,
                 "libgcomp_runtime.a to link (default: the one installed "
                 "with gcomp)");
  app.add_flag("--print-ir-after-all", options.printIRAfterAll,
               "Print the IR after every pass to stderr");
  app.add_option("--print-ir-after", options.printIRAfter,
                 "Print the IR after the named pass (repeatable)");
  app.add_flag("--timing", options.timing, "Report the time of each pass");
  app.add_flag("--stats", options.stats,
               "Print a JSON summary: ONNX nodes, graph ops, kernels, "
               "planned memory, constant bytes, time per phase (to stdout, "
               "or stderr when the output goes there)");
  app.add_flag("--profile", options.profile,
               "Record per-kernel times in the library (read them with "
               "gcomp-run --profile TRACE.json); off by default, and then "
               "costs nothing");
  app.add_option("--disable-pass", options.disabledPasses,
                 "Leave out an optimization pass (repeatable); "
                 "--print-optimization-passes lists them");
  bool printOptimizationPasses = false;
  app.add_flag("--print-optimization-passes", printOptimizationPasses,
               "List the passes --disable-pass accepts, one per line, and "
               "exit");
  bool printSupportedOps = false;
  app.add_flag("--print-supported-ops", printSupportedOps,
               "List the ONNX operators gcomp imports, one per line (then "
               "onnxruntime's as com.microsoft.NAME), and exit");
  app.add_option("--debug-miscompile", options.debugMiscompilePass,
                 "Test only: make the named optimization pass produce wrong "
                 "code (PASS, or PASS:K for its K-th fusion) to test "
                 "gcomp-debug bisect")
      ->group("Testing");
  app.add_option("--fold-limit", options.foldLimit,
                 "The largest tensor constant folding computes at compile "
                 "time; an op on constants with a larger result runs with "
                 "the model instead (default 64M)")
      ->transform(CLI::AsSizeValue(/*kb_is_1000=*/false))
      ->type_name("BYTES");
  app.add_option("--max-memory", options.maxMemory,
                 "Stop with an error, rather than be killed, when compiling "
                 "needs more heap than this; no tensor of the model may be "
                 "larger either (default: no limit)")
      ->transform(CLI::AsSizeValue(/*kb_is_1000=*/false))
      ->type_name("BYTES");
  app.add_flag("--flush-denormals", options.flushDenormals,
               "The model's runs flush denormal floats (below 1.2e-38) to "
               "zero, results and operands (x86 FTZ and DAZ, for the run "
               "only): arithmetic on them takes a slow microcode path, and "
               "a squeeze-excitation gate near zero can make a conv several "
               "times slower; results change only in values that small");
  app.add_option("--threads", options.threads,
                 "Threads the model runs on by default (0: every CPU the "
                 "process may use); GCOMP_NUM_THREADS overrides it at run "
                 "time")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--debug-fusion-limit", options.debugFusionLimit,
                 "Apply only the first N elementwise fusions (gcomp-debug "
                 "bisect uses it to find the fusion that breaks a model)")
      ->group("Debugging");
  app.add_flag("--debug-print-fusions", options.debugPrintFusions,
               "Report every elementwise fusion, numbered, with the ONNX "
               "nodes it joins")
      ->group("Debugging");
  app.add_option("--debug-perturb-node", options.debugPerturbNode,
                 "Test only: add 1 to the outputs of the named ONNX node "
                 "(to test gcomp-debug)")
      ->group("Testing");

  // Compilers spell these -MD and -MF (one dash, two letters), which CLI11
  // reads as bundled short flags; accept that spelling too.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::string &arg : args)
    if (arg == "-MD" || arg == "-MF" || arg.rfind("-MF=", 0) == 0)
      arg.insert(0, "-");
  std::reverse(args.begin(), args.end());

  try {
    app.parse(args);
    if (printSupportedOps) {
      // The default domain's, then onnxruntime's as com.microsoft.NAME.
      for (auto [ops, prefix] :
           {std::pair{gcomp::supportedOnnxOps(), std::string()},
            std::pair{gcomp::supportedContribOnnxOps(),
                      std::string("com.microsoft.")}}) {
        llvm::SmallVector<llvm::StringRef> names;
        llvm::StringRef(ops).split(names, ", ");
        for (llvm::StringRef name : names)
          std::cout << prefix << name.str() << "\n";
      }
      return 0;
    }
    if (printOptimizationPasses) {
      for (const std::string &name : gcomp::optimizationPasses())
        std::cout << name << "\n";
      return 0;
    }
    if (modelOption->empty())
      throw CLI::RequiredError("model");
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (writeDepfile && options.depfilePath.empty()) {
    std::string output = options.outputPath;
    if (output.empty() || output == "-") {
      std::cerr << "gcomp: error: -MD without -MF needs -o FILE (the depfile "
                   "is FILE.d)\n";
      return 2;
    }
    options.depfilePath = output + ".d";
  }
  for (const std::string &spec : shapeSpecs) {
    std::string message = parseInputShape(spec, options.inputShapes);
    if (!message.empty()) {
      std::cerr << "gcomp: error: " << message << "\n";
      return 2;
    }
  }
  for (const std::string &spec : dimSpecs) {
    std::string message = parseDimValue(spec, options.dimValues);
    if (!message.empty()) {
      std::cerr << "gcomp: error: " << message << "\n";
      return 2;
    }
  }
  for (const std::string &spec : specializeSpecs) {
    std::string message = parseSpecialization(spec, options.specializations);
    if (!message.empty()) {
      std::cerr << "gcomp: error: " << message << "\n";
      return 2;
    }
  }
  return gcomp::runDriver(options);
}
