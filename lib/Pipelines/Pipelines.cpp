//===- Pipelines.cpp - gcomp's compilation phases -------------------------===//

#include "gcomp/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/Twine.h"

using namespace mlir;

namespace gcomp {

namespace {
/// One pass of a phase, by its textual pipeline name. Optimization passes
/// may be disabled (gcomp --disable-pass, gcomp-debug bisect); the others
/// are needed for a correct result.
struct Step {
  std::string pass;
  bool optimization = false;
  /// Nested under func.func.
  bool perFunction = false;
};
} // namespace

/// The CUDA target's lowering of the bufferized entry: each linalg op a
/// kernel (gcomp-map-to-gpu), the kernels outlined into one gpu.module and
/// compiled to PTX by LLVM's NVPTX backend, the host side calling the
/// runtime's mgpu* functions (runtime/src/cuda.c).
static std::vector<Step> cudaLLVMSteps(const PipelineOptions &o) {
  auto req = [](std::string pass, bool perFunction = false) {
    return Step{std::move(pass), false, perFunction};
  };
  std::string sm = o.gpuArch.substr(3);
  std::string toolkit = o.cudaPath.empty() ? "" : " toolkit=" + o.cudaPath;
  // The f16 and bf16 mma of shape 16x8x16 came with sm_80.
  unsigned smVersion = 0;
  bool halfTensorCores =
      !llvm::StringRef(sm).getAsInteger(10, smVersion) && smVersion >= 80;
  std::vector<Step> steps = {req("gcomp-flatten-empty-arguments", true),
          req("gcomp-gpu-constants{entry=" + o.entryName + "}"),
          // No canonicalization in between: it would unwrap loops of one
          // iteration into loads and stores on the host.
          req(std::string("gcomp-linalg-to-gpu-loops{warp-reductions=") +
                  (o.gpuWarpReductions ? "1" : "0") + " tile-contractions=" +
                  (o.gpuTileContractions ? "1" : "0") +
                  " allow-tf32=" + (o.allowTf32 ? "1" : "0") +
                  " half-tensor-cores=" + (halfTensorCores ? "1" : "0") +
                  // --gpu-simple-kernels: session 8's code, a kernel per op.
                  " epilogues=" + (o.gpuTileContractions ? "1" : "0") + "}",
              true),
          req("convert-linalg-to-parallel-loops", true),
          // 16-byte loads and stores for element-wise loops; off with
          // --gpu-simple-kernels, as the tiles are.
          Step{"gcomp-gpu-vectorize-loops", /*optimization=*/true,
               /*perFunction=*/true},
          req("gcomp-map-to-gpu", true),
          req("gpu-kernel-outlining"),
          req("gcomp-merge-gpu-modules"),
          req("nvvm-attach-target{chip=" + o.gpuArch +
              " features=+ptx80 O=3}"),
          req("gpu.module(convert-nvgpu-to-nvvm,lower-affine,"
              "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
              "arith-expand{include-bf16=true},convert-vector-to-llvm,"
              "convert-gpu-to-nvvm,reconcile-unrealized-casts)"),
          req("lower-affine"),
          req("convert-scf-to-cf"),
          req("expand-strided-metadata"),
          req("lower-affine"),
          req("finalize-memref-to-llvm{use-generic-functions=1}"),
          req("convert-arith-to-llvm"),
          req("convert-index-to-llvm"),
          req("convert-cf-to-llvm"),
          req("convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}"),
          req("gpu-to-llvm"),
          req("reconcile-unrealized-casts"),
          req("gpu-module-to-binary{format=isa" + toolkit + "}"),
          req("gcomp-emit-entry{entry=" + o.entryName + "}"),
          req("gcomp-emit-cuda-tables{sm=" + sm + "}"),
          req("canonicalize")};
  if (!o.gpuTileContractions)
    llvm::erase_if(steps, [](const Step &step) {
      return step.pass == "gcomp-gpu-vectorize-loops";
    });
  return steps;
}

/// Upstream passes are added by their textual names: the strings read like
/// the pass pipeline they are, and survive C++ API churn between releases.
static std::vector<Step> phaseSteps(Phase phase, const PipelineOptions &o) {
  auto opt = [](std::string pass, bool perFunction = false) {
    return Step{std::move(pass), true, perFunction};
  };
  auto req = [](std::string pass, bool perFunction = false) {
    return Step{std::move(pass), false, perFunction};
  };
  switch (phase) {
  case Phase::Import:
    return {};
  case Phase::Graph: {
    std::string fold =
        "gcomp-fold-constants{limit=" + std::to_string(o.foldLimit) + "}";
    // Folding runs again at the end: the weights that gcomp-fuse-conv
    // packs per product are merged where they are equal.
    // The CUDA target leaves out the passes that form the CPU runtime's
    // kernels (packed convolutions, pooling, attention, softmax, layer norm
    // calls) and the CPU's layout choice: its kernels come from linalg.
    if (o.target == Target::CUDA)
      return {opt("canonicalize"),
              opt(fold, true),
              opt("gcomp-fold-batch-norm", true),
              opt("gcomp-recognize-ops", true),
              opt("canonicalize"),
              opt("cse")};
    return {opt("gcomp-quantized-products", true), opt("canonicalize"),
            opt(fold, true), opt("gcomp-fold-batch-norm", true),
            opt("gcomp-recognize-ops", true),
            opt("gcomp-channels-last", true),
            opt("canonicalize"), opt("gcomp-fuse-conv", true),
            opt("gcomp-pool-kernels", true),
            opt("gcomp-fuse-attention", true),
            opt("gcomp-softmax-kernels", true),
            opt("gcomp-layer-norm-kernels", true),
            opt("gcomp-integer-matmul-kernels", true),
            opt("gcomp-integer-conv-kernels", true), opt(fold, true),
            opt("canonicalize"), opt("cse")};
  }
  case Phase::Linalg: {
    std::string fuse = "gcomp-fuse-elementwise";
    std::string fuseOptions;
    if (o.testMiscompilePass == fuse)
      fuseOptions += " test-miscompile test-miscompile-fusion=" +
                     std::to_string(o.testMiscompileFusion);
    if (o.maxFusions >= 0)
      fuseOptions += " max-fusions=" + std::to_string(o.maxFusions);
    if (o.printFusions)
      fuseOptions += " print-fusions";
    if (!fuseOptions.empty())
      fuse += "{" + fuseOptions.substr(1) + "}";
    std::vector<Step> steps = {
        req("gcomp-emit-model-abi{entry=" + o.entryName +
            (o.cpuFeatures.empty() ? "" : " cpu-features=" + o.cpuFeatures) +
            " producer=" + o.producer +
            " threads=" + std::to_string(o.threads) +
            (o.flushDenormals ? " flush-denormals" : "") + "}"),
        req("convert-gcomp-to-linalg", true),
        req("gcomp-symbolic-dims{entry=" + o.entryName + "}"),
        opt("gcomp-fold-transposes", true), opt(fuse, true)};
    if (o.target == Target::CUDA && o.gpuTileContractions) {
      steps.push_back(opt("gcomp-gpu-fold-pads", true));
      steps.push_back(opt("gcomp-gpu-split-reductions", true));
    }
    steps.push_back(opt("canonicalize"));
    steps.push_back(opt("cse"));
    // After CSE, which merges equal fills again.
    steps.push_back(opt("gcomp-duplicate-fills", true));
    return steps;
  }
  case Phase::Buffers: {
    std::vector<Step> steps = {
        req("gcomp-distinct-results", true),
        req("one-shot-bufferize{bufferize-function-boundaries "
            "function-boundary-type-conversion=identity-layout-map}"),
        req("buffer-results-to-out-params{hoist-static-allocs "
            "modify-public-functions}"),
        req("canonicalize"), req("buffer-deallocation-pipeline"),
        req("canonicalize"),
        opt("gcomp-write-outputs-in-place{entry=" + o.entryName + "}"),
        req("gcomp-memref-copy-to-linalg", true),
        req("gcomp-flatten-globals")};
    if (o.target == Target::CUDA) {
      // Every buffer must be on the device: planning is not optional here.
      steps.push_back(req("gcomp-plan-buffers{entry=" + o.entryName + "}"));
      return steps;
    }
    steps.push_back(req("gcomp-gemm-to-runtime-call"));
    steps.push_back(req("gcomp-depthwise-to-runtime-call"));
    // The runtime calls leave the unpacked weights' globals and views dead.
    steps.push_back(req("canonicalize"));
    steps.push_back(req("symbol-dce"));
    if (o.profile)
      steps.push_back(req("gcomp-instrument-kernels{entry=" + o.entryName + "}"));
    steps.push_back(req("gcomp-outline-kernels{entry=" + o.entryName +
                        " parallel=" + (o.parallelKernels ? "1" : "0") + "}"));
    // Last: every pass before it may still add, remove or move buffers.
    steps.push_back(opt("gcomp-plan-buffers{entry=" + o.entryName + "}"));
    return steps;
  }
  case Phase::LLVM:
    if (o.target == Target::CUDA)
      return cudaLLVMSteps(o);
    return {req("gcomp-dynamic-entry{entry=" + o.entryName + "}"),
            req("gcomp-flatten-empty-arguments", true),
            req("convert-linalg-to-loops", true),
            req("lower-affine"),
            req("convert-scf-to-cf"),
            req("expand-strided-metadata"),
            // Views with dynamic offsets leave affine.apply behind.
            req("lower-affine"),
            // Buffers come from the runtime's allocator (runtime/src/alloc.c).
            req("finalize-memref-to-llvm{use-generic-functions=1}"),
            // exp, log, tanh, erf... as polynomials in arith: inlined and
            // vectorizable instead of a libm call per element.
            req("gcomp-approximate-math", true),
            req("convert-math-to-llvm"),
            req("convert-math-to-libm"),
            // bf16 conversions would otherwise call compiler-rt builtins.
            req("arith-expand{include-bf16=true}"),
            req("convert-arith-to-llvm"),
            req("convert-index-to-llvm"),
            req("convert-cf-to-llvm"),
            req("convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}"),
            req("reconcile-unrealized-casts"),
            req("gcomp-parallel-calls"),
            req("gcomp-emit-entry{entry=" + o.entryName + "}"),
            req("canonicalize")};
  }
  llvm_unreachable("unknown phase");
}

static StringRef passName(StringRef step) { return step.take_until([](char c) { return c == '{'; }); }

std::vector<std::string> optimizationPasses() {
  std::vector<std::string> names;
  PipelineOptions cpu, cuda;
  cuda.target = Target::CUDA;
  for (const PipelineOptions *o : {&cpu, &cuda})
    for (Phase p : {Phase::Graph, Phase::Linalg, Phase::Buffers, Phase::LLVM})
      for (const Step &step : phaseSteps(p, *o))
        if (step.optimization &&
            !llvm::is_contained(names, passName(step.pass).str()))
          names.push_back(passName(step.pass).str());
  return names;
}

LogicalResult buildPhase(OpPassManager &pm, Phase phase,
                         const PipelineOptions &options) {
  std::string pipeline;
  for (const Step &step : phaseSteps(phase, options)) {
    if (step.optimization &&
        llvm::is_contained(options.disabledPasses, passName(step.pass).str()))
      continue;
    if (!pipeline.empty())
      pipeline += ",";
    pipeline += step.perFunction ? "func.func(" + step.pass + ")" : step.pass;
  }
  if (pipeline.empty())
    return success();
  return parsePassPipeline(pipeline, pm, llvm::errs());
}

LogicalResult buildPipelineUpTo(OpPassManager &pm, Phase last,
                                const PipelineOptions &options) {
  for (Phase p : {Phase::Graph, Phase::Linalg, Phase::Buffers, Phase::LLVM}) {
    if (static_cast<int>(p) > static_cast<int>(last))
      break;
    if (failed(buildPhase(pm, p, options)))
      return failure();
  }
  return success();
}

namespace {
struct CliPipelineOptions : PassPipelineOptions<CliPipelineOptions> {
  Option<std::string> cpuFeatures{*this, "cpu-features",
                                  llvm::cl::desc("CPU features to record"),
                                  llvm::cl::init("")};
  Option<bool> profile{*this, "profile",
                       llvm::cl::desc("Instrument every kernel"),
                       llvm::cl::init(false)};
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("cpu or cuda"),
                             llvm::cl::init("cpu")};
  Option<std::string> gpuArch{*this, "gpu-arch",
                              llvm::cl::desc("CUDA: the GPU architecture"),
                              llvm::cl::init("sm_80")};
  PipelineOptions toOptions() const {
    PipelineOptions o;
    o.target = target == "cuda" ? Target::CUDA : Target::CPU;
    o.gpuArch = gpuArch;
    o.cpuFeatures = cpuFeatures;
    o.profile = profile;
    return o;
  }
};
} // namespace

void registerGcompPipelines() {
  auto registerOne = [](StringRef name, StringRef summary, Phase first,
                        Phase last) {
    PassPipelineRegistration<CliPipelineOptions>(
        name, summary,
        [first, last](OpPassManager &pm, const CliPipelineOptions &cli) {
          PipelineOptions o = cli.toOptions();
          for (int p = static_cast<int>(first); p <= static_cast<int>(last); ++p)
            (void)buildPhase(pm, static_cast<Phase>(p), o);
        });
  };
  registerOne("gcomp-graph", "gcomp graph-level simplification", Phase::Graph,
              Phase::Graph);
  registerOne("gcomp-to-linalg-pipeline",
              "gcomp graph to fused linalg on tensors (with the ABI tables)",
              Phase::Linalg, Phase::Linalg);
  registerOne("gcomp-bufferize-pipeline",
              "linalg on tensors to memrefs with out-parameters",
              Phase::Buffers, Phase::Buffers);
  registerOne("gcomp-to-llvm-pipeline",
              "bufferized IR to the LLVM dialect with the runtime entry",
              Phase::LLVM, Phase::LLVM);
  registerOne("gcomp-cpu-pipeline", "the whole CPU pipeline after import",
              Phase::Graph, Phase::LLVM);
}

} // namespace gcomp
