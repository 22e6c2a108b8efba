//===- EmitModelAbi.cpp - the signature tables of model_abi.h -------------===//
//
// The runtime learns a model's inputs and outputs from constant tables in
// the object file (see runtime/include/gcomp/model_abi.h, the one place that
// defines their layout). This pass writes them from the entry function's
// signature while it is still expressed in ONNX terms.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "gcomp/Dialect/Gcomp/Transforms/ModelAbi.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "AbiGlobals.h"
#include "gcomp/model_abi.h"
#include "gcomp/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPEMITMODELABI
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

std::optional<int64_t> gcomp::elementTypeCode(Type type, DictionaryAttr attrs) {
  if (attrs)
    if (auto code = attrs.getAs<IntegerAttr>("gcomp.elem_type"))
      return code.getInt();
  if (type.isF32())
    return GCOMP_DTYPE_FLOAT32;
  if (type.isF64())
    return GCOMP_DTYPE_FLOAT64;
  if (type.isF16())
    return GCOMP_DTYPE_FLOAT16;
  if (type.isBF16())
    return GCOMP_DTYPE_BFLOAT16;
  if (type.isInteger(1))
    return GCOMP_DTYPE_BOOL;
  if (auto it = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = it.isUnsigned();
    switch (it.getWidth()) {
    case 8:
      return isUnsigned ? GCOMP_DTYPE_UINT8 : GCOMP_DTYPE_INT8;
    case 16:
      return isUnsigned ? GCOMP_DTYPE_UINT16 : GCOMP_DTYPE_INT16;
    case 32:
      return isUnsigned ? GCOMP_DTYPE_UINT32 : GCOMP_DTYPE_INT32;
    case 64:
      return isUnsigned ? GCOMP_DTYPE_UINT64 : GCOMP_DTYPE_INT64;
    }
  }
  return std::nullopt;
}

namespace {

struct EmitModelAbiPass
    : gcomp::impl::GcompEmitModelAbiBase<EmitModelAbiPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry) {
      module.emitError() << "no entry function '" << entryName << "'";
      return signalPassFailure();
    }
    FunctionType fnType = entry.getFunctionType();
    // The results after the graph outputs carry the actual dims of the
    // outputs whose size depends on the data.
    unsigned numOutputs = fnType.getNumResults();
    while (numOutputs > 0 && entry.getResultAttr(numOutputs - 1, kDimsOfAttr))
      --numOutputs;
    SmallVector<int64_t> bounds = {0};
    for (unsigned i = numOutputs; i < fnType.getNumResults(); ++i) {
      auto of = entry.getResultAttrOfType<IntegerAttr>(i, kDimsOfAttr);
      int64_t output = of ? of.getInt() : -1;
      if (output < 0 || output >= numOutputs ||
          !entry.getResultAttr(output, kDataDependentDimsAttr) ||
          (i > numOutputs &&
           entry.getResultAttrOfType<IntegerAttr>(i - 1, kDimsOfAttr).getInt() >=
               output)) {
        entry.emitError() << "result " << i << " gives the dims of result "
                          << output << ", which is not a later data-dependent "
                          << "output";
        return signalPassFailure();
      }
      auto bound = cast<RankedTensorType>(fnType.getResult(output));
      bounds.push_back(output);
      llvm::append_range(bounds, bound.getShape());
      ++bounds[0];
    }
    SmallVector<int64_t> table = {GCOMP_MODEL_ABI_VERSION,
                                  static_cast<int64_t>(fnType.getNumInputs()),
                                  static_cast<int64_t>(numOutputs)};
    std::string names, dimNames;
    bool anyDimName = false;

    auto describe = [&](Type type, DictionaryAttr attrs, StringRef kind,
                        unsigned index) -> LogicalResult {
      auto tensor = dyn_cast<RankedTensorType>(type);
      std::optional<int64_t> code =
          tensor ? elementTypeCode(tensor.getElementType(), attrs)
                 : std::nullopt;
      if (!code)
        return entry.emitError() << kind << " " << index << " has type "
                                 << type << ", which the runtime ABI cannot "
                                 << "describe";
      table.push_back(*code);
      table.push_back(tensor.getRank());
      auto varying = attrs ? attrs.getAs<DenseI64ArrayAttr>(
                                 kDataDependentDimsAttr)
                           : nullptr;
      for (auto [d, size] : llvm::enumerate(tensor.getShape()))
        table.push_back(ShapedType::isDynamic(size) ||
                                (varying && llvm::is_contained(
                                                varying.asArrayRef(),
                                                static_cast<int64_t>(d)))
                            ? -1
                            : size);
      auto dims = attrs ? attrs.getAs<ArrayAttr>(kDimNamesAttr) : nullptr;
      for (int64_t d = 0; d < tensor.getRank(); ++d) {
        StringAttr dimName =
            dims && static_cast<int64_t>(dims.size()) == tensor.getRank()
                ? dyn_cast<StringAttr>(dims[d])
                : nullptr;
        if (dimName && !dimName.getValue().empty()) {
          dimNames += dimName.str();
          anyDimName = true;
        }
        dimNames.push_back('\0');
      }
      StringAttr name = attrs ? attrs.getAs<StringAttr>(kNameAttr) : nullptr;
      names += name ? name.str() : (kind + "_" + Twine(index)).str();
      names.push_back('\0');
      return success();
    };
    for (unsigned i = 0; i < fnType.getNumInputs(); ++i)
      if (failed(describe(fnType.getInput(i), entry.getArgAttrDict(i), "input",
                          i)))
        return signalPassFailure();
    for (unsigned i = 0; i < numOutputs; ++i)
      if (failed(describe(fnType.getResult(i), entry.getResultAttrDict(i),
                          "output", i)))
        return signalPassFailure();

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = entry.getLoc();
    addAbiTable(b, loc, GCOMP_SYM_SIGNATURE, table);
    addAbiString(b, loc, GCOMP_SYM_NAMES, names);
    if (anyDimName)
      addAbiString(b, loc, GCOMP_SYM_DIM_NAMES, dimNames);
    std::string features = llvm::join(cpuFeatures, ",");
    addAbiString(b, loc, GCOMP_SYM_CPU_FEATURES,
                 StringRef(features.c_str(), features.size() + 1));
    addAbiString(b, loc, GCOMP_SYM_PRODUCER,
                 StringRef(producer.c_str(), producer.size() + 1));
    addAbiTable(b, loc, GCOMP_SYM_THREADS, {static_cast<int64_t>(threads)});
    if (bounds[0] > 0)
      addAbiTable(b, loc, GCOMP_SYM_OUTPUT_BOUNDS, bounds);
    if (flushDenormals)
      addAbiTable(b, loc, GCOMP_SYM_FP_FLAGS, {GCOMP_FP_FLUSH_DENORMALS});
    module->setAttr(kNumInputsAttr, b.getI64IntegerAttr(fnType.getNumInputs()));
    module->setAttr(kNumOutputsAttr,
                    b.getI64IntegerAttr(fnType.getNumResults()));
  }
};

} // namespace
