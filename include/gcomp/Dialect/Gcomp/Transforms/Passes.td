//===- Passes.td - gcomp transforms ------------------------*- tablegen -*-===//

#ifndef GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_TD
#define GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def GcompEmitModelAbi : Pass<"gcomp-emit-model-abi", "mlir::ModuleOp"> {
  let summary = "Emit the signature tables the runtime reads (model_abi.h)";
  let description = [{
    Reads the entry function's graph inputs and outputs (their `gcomp.name`
    attributes and tensor types) and emits the constant LLVM globals that
    `runtime/include/gcomp/model_abi.h` defines: the signature table, the
    NUL-separated names, the CPU features the code needs, and the producer
    string. Records the input and output counts as module attributes for
    `gcomp-emit-entry`. Runs at graph level, while the tensor types are
    still those of the ONNX model.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the graph's entry function">,
    ListOption<"cpuFeatures", "cpu-features", "std::string",
               "CPU features (e.g. avx2,avx512f) the runtime must check">,
    Option<"producer", "producer", "std::string", /*default=*/"\"gcomp\"",
           "Version string of the compiler">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def GcompEmitEntry : Pass<"gcomp-emit-entry", "mlir::ModuleOp"> {
  let summary = "Wrap the lowered entry function in the runtime's C entry";
  let description = [{
    Runs on the LLVM dialect after the entry function was lowered with the
    bare-pointer calling convention (inputs first, then one out-parameter
    per output). Emits `int32_t __gcomp_entry(void *const *inputs,
    void *const *outputs)` that unpacks the pointer arrays and calls it, and
    gives every other function internal linkage so that LLVM may inline and
    the linker need not export them.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the lowered entry function">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_TD
