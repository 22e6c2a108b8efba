//===- CPUTarget.cpp - LLVM dialect to host object code -------------------===//

#include "gcomp/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace gcomp::cpu {

Expected<std::unique_ptr<TargetMachine>>
createTargetMachine(const TargetOptions &options) {
  static bool initialized = [] {
    InitializeAllTargetInfos();
    InitializeAllTargets();
    InitializeAllTargetMCs();
    InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;

  bool host = options.triple.empty();
  Triple triple(host ? sys::getDefaultTargetTriple()
                     : Triple::normalize(options.triple));
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(
        "unknown target triple '" + (host ? triple.str() : options.triple) +
        "': " + error);

  std::string cpu = options.cpu;
  SubtargetFeatures features;
  bool cross =
      !host &&
      triple.getArch() != Triple(sys::getDefaultTargetTriple()).getArch();
  // Cross-compiling without a CPU targets the architecture's baseline.
  if (cpu.empty() && cross)
    cpu = "generic";
  if (cpu.empty() || cpu == "native") {
    if (cross)
      return createStringError("--mcpu=native needs the host triple; name a "
                               "CPU for '" + triple.str() + "'");
    cpu = sys::getHostCPUName().str();
    for (const auto &[name, enabled] : sys::getHostCPUFeatures())
      features.AddFeature(name, enabled);
  }
  if (!options.features.empty())
    for (StringRef f : split(options.features, ','))
      features.AddFeature(f.trim());

  // Reject CPU names LLVM does not know before LLVM warns and falls back
  // to a generic model.
  std::unique_ptr<MCSubtargetInfo> probe(
      target->createMCSubtargetInfo(triple, "", ""));
  if (probe && !probe->isCPUStringValid(cpu))
    return createStringError("unknown CPU '" + cpu + "' for '" +
                             triple.str() + "'");

  llvm::TargetOptions targetOptions;
  // Constructors (a CUDA model registers its kernels' PTX in one) go to
  // .init_array, which is what glibc runs; LLVM's default is the old .ctors.
  targetOptions.UseInitArray = true;
  CodeGenOptLevel level = options.optLevel == 0   ? CodeGenOptLevel::None
                          : options.optLevel == 1 ? CodeGenOptLevel::Less
                          : options.optLevel == 2 ? CodeGenOptLevel::Default
                                                  : CodeGenOptLevel::Aggressive;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features.getString(), targetOptions, Reloc::PIC_,
      std::nullopt, level));
  if (!tm)
    return createStringError("cannot create a target machine for '" +
                             triple.str() + "' cpu '" + cpu + "'");
  return tm;
}

std::string runtimeCheckedFeatures(const TargetMachine &tm) {
  if (!tm.getTargetTriple().isX86())
    return "";
  // Must stay within the names runtime/src checks with cpuid.
  static const char *const known[] = {
      "sse4.2",  "avx",      "avx2",       "fma",        "f16c",
      "bmi2",    "avx512f",  "avx512bw",   "avx512vl",   "avx512dq",
      "avx512cd", "avx512vnni", "avx512bf16"};
  const MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  SmallVector<std::string> enabled;
  for (const char *name : known)
    if (sti->checkFeatures(std::string("+") + name))
      enabled.push_back(name);
  return join(enabled, ",");
}

/// x86-64's small code model reaches data with 32-bit PC-relative offsets,
/// so code and data together must fit in 2 GiB. A model whose constants
/// come close (weights in external data can be any size) gets the medium
/// model: arrays over 64 KiB go to .lrodata/.ldata, reached with 64-bit
/// addresses and placed by the linker past everything else.
static void chooseCodeModel(Module &module, TargetMachine &tm) {
  constexpr uint64_t kSmallModelDataLimit = uint64_t(1) << 30;
  if (tm.getTargetTriple().getArch() != Triple::x86_64)
    return;
  const DataLayout &layout = module.getDataLayout();
  uint64_t bytes = 0;
  for (const GlobalVariable &global : module.globals())
    if (global.hasInitializer())
      bytes += layout.getTypeAllocSize(global.getValueType());
  if (bytes <= kSmallModelDataLimit)
    return;
  tm.setCodeModel(CodeModel::Medium);
  tm.setLargeDataThreshold(uint64_t(1) << 16);
  module.setCodeModel(CodeModel::Medium);
  module.setLargeDataThreshold(uint64_t(1) << 16);
}

Expected<std::unique_ptr<Module>>
translateAndOptimize(mlir::ModuleOp module, LLVMContext &context,
                     TargetMachine &tm, unsigned optLevel) {
  mlir::registerBuiltinDialectTranslation(*module.getContext());
  mlir::registerLLVMDialectTranslation(*module.getContext());
  // Outlined kernels (gcomp-outline-kernels) stay separate symbols.
  // func-to-llvm keeps their `llvm.no_inline` only as a discardable
  // attribute; make it the llvm.func property that becomes `noinline`.
  module.walk([](mlir::LLVM::LLVMFuncOp fn) {
    if (fn->removeAttr("llvm.no_inline"))
      fn.setNoInline(true);
  });
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "gcomp_model");
  if (!llvmModule)
    return createStringError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(tm.getTargetTriple());
  llvmModule->setDataLayout(tm.createDataLayout());
  chooseCodeModel(*llvmModule, tm);
  // Let the optimizer specialize for the chosen CPU. LLVM's tuning for
  // AVX-512 server CPUs (Skylake-X to Sapphire Rapids) prefers 256-bit
  // vectors, which protects mixed scalar code from the older cores' 512-bit
  // frequency drop; gcomp's loops are long element-wise sweeps, and on
  // Sapphire Rapids 512-bit vectors measured 21% faster over
  // EfficientNet-B0's loop kernels (2.80 against 3.55 ms at one thread, in
  // three alternating runs), so they get the full width.
  bool wideVectors =
      tm.getTargetTriple().isX86() &&
      tm.getMCSubtargetInfo()->checkFeatures("+avx512f");
  for (Function &fn : *llvmModule) {
    if (fn.isDeclaration())
      continue;
    fn.addFnAttr("target-cpu", tm.getTargetCPU());
    if (!tm.getTargetFeatureString().empty())
      fn.addFnAttr("target-features", tm.getTargetFeatureString());
    if (wideVectors)
      fn.addFnAttr("prefer-vector-width", "512");
  }

  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  OptimizationLevel level = optLevel == 0   ? OptimizationLevel::O0
                            : optLevel == 1 ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2
                                            : OptimizationLevel::O3;
  ModulePassManager mpm = level == OptimizationLevel::O0
                              ? pb.buildO0DefaultPipeline(level)
                              : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(*llvmModule, mam);
  return llvmModule;
}

Error emitObject(Module &module, TargetMachine &tm, SmallVectorImpl<char> &out) {
  raw_svector_ostream os(out);
  legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, CodeGenFileType::ObjectFile))
    return createStringError("the target cannot emit object files");
  pm.run(module);
  return Error::success();
}

} // namespace gcomp::cpu
