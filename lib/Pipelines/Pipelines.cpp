//===- Pipelines.cpp - gcomp's compilation phases -------------------------===//

#include "gcomp/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/Twine.h"

using namespace mlir;

namespace gcomp {

/// Upstream passes are added by their textual names: the strings read like
/// the pass pipeline they are, and survive C++ API churn between releases.
static std::string phasePipeline(Phase phase, const PipelineOptions &o) {
  switch (phase) {
  case Phase::Import:
    return "";
  case Phase::Graph:
    return "canonicalize,cse";
  case Phase::Linalg:
    return "gcomp-emit-model-abi{entry=" + o.entryName +
            (o.cpuFeatures.empty() ? "" : " cpu-features=" + o.cpuFeatures) +
            " producer=" + o.producer +
            "},func.func(convert-gcomp-to-linalg,linalg-fuse-elementwise-ops),"
            "canonicalize,cse";
  case Phase::Buffers:
    return "one-shot-bufferize{bufferize-function-boundaries "
           "function-boundary-type-conversion=identity-layout-map},"
           "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
           "canonicalize,buffer-deallocation-pipeline,canonicalize";
  case Phase::LLVM:
    return std::string("func.func(convert-linalg-to-loops),lower-affine,"
            "convert-scf-to-cf,expand-strided-metadata,"
            "finalize-memref-to-llvm,convert-math-to-llvm,"
            "convert-math-to-libm,convert-arith-to-llvm,"
            "convert-index-to-llvm,convert-cf-to-llvm,"
            "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
            "reconcile-unrealized-casts,gcomp-emit-entry{entry=") +
            o.entryName + "},canonicalize";
  }
  llvm_unreachable("unknown phase");
}

LogicalResult buildPhase(OpPassManager &pm, Phase phase,
                         const PipelineOptions &options) {
  std::string pipeline = phasePipeline(phase, options);
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
  PipelineOptions toOptions() const {
    PipelineOptions o;
    o.cpuFeatures = cpuFeatures;
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
