//===- Variants.cpp - several static variants in one model library --------===//

#include "gcomp/Target/Variants.h"
#include "gcomp/model_abi.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/IPO/ConstantMerge.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"

using namespace llvm;

namespace gcomp {
namespace {

/// The values of a constant i64 array global, then the global erased.
Expected<std::vector<int64_t>> takeTable(Module &module, StringRef name,
                                         bool optional) {
  GlobalVariable *global = module.getGlobalVariable(name);
  if (!global) {
    if (optional)
      return std::vector<int64_t>();
    return createStringError("variant module has no " + name);
  }
  auto *data = dyn_cast_or_null<ConstantDataSequential>(
      global->hasInitializer() ? global->getInitializer() : nullptr);
  std::vector<int64_t> values;
  if (data && data->getElementType()->isIntegerTy(64)) {
    for (unsigned i = 0, e = data->getNumElements(); i < e; ++i)
      values.push_back(static_cast<int64_t>(data->getElementAsInteger(i)));
  } else if (!global->hasInitializer() ||
             !global->getInitializer()->isNullValue()) {
    return createStringError(name + " is not a constant i64 array");
  } else {
    auto *type = dyn_cast<ArrayType>(global->getValueType());
    values.assign(type ? type->getNumElements() : 0, 0);
  }
  if (!global->use_empty())
    return createStringError(name + " is used by the model's code");
  global->eraseFromParent();
  return values;
}

/// A hidden constant i64 array, as the model's own tables are emitted.
void addTable(Module &module, StringRef name, ArrayRef<int64_t> values) {
  SmallVector<uint64_t> raw(values.begin(), values.end());
  Constant *init = ConstantDataArray::get(module.getContext(), raw);
  auto *global = new GlobalVariable(module, init->getType(), /*isConstant=*/true,
                                    GlobalValue::ExternalLinkage, init, name);
  global->setVisibility(GlobalValue::HiddenVisibility);
  global->setAlignment(Align(8));
}

/// The dims of each tensor in a GCOMP_SYM_SIGNATURE table, by position.
struct Signature {
  std::vector<int64_t> table;
  /// For each input, then output: the index of its first dim and its rank.
  std::vector<std::pair<size_t, size_t>> dims;
};

Expected<Signature> parseSignature(std::vector<int64_t> table) {
  if (table.size() < 3 || table[0] != GCOMP_MODEL_ABI_VERSION)
    return createStringError("variant signature has an unexpected layout");
  Signature sig;
  size_t count = static_cast<size_t>(table[1] + table[2]), pos = 3;
  for (size_t i = 0; i < count; ++i) {
    if (pos + 2 > table.size())
      return createStringError("variant signature is truncated");
    size_t rank = static_cast<size_t>(table[pos + 1]);
    sig.dims.push_back({pos + 2, rank});
    pos += 2 + rank;
  }
  if (pos != table.size())
    return createStringError("variant signature has trailing entries");
  sig.table = std::move(table);
  return sig;
}

} // namespace

Expected<std::unique_ptr<Module>>
mergeVariants(std::vector<std::unique_ptr<Module>> variants) {
  if (variants.empty())
    return createStringError("no variant to merge");
  // Read each variant's signature and workspace size, and give its entry a
  // name of its own; the other tables are the same in every variant, and
  // the first one's stay.
  std::vector<Signature> signatures;
  int64_t workspace = 0;
  std::vector<std::string> entryNames;
  for (auto [i, module] : llvm::enumerate(variants)) {
    auto table = takeTable(*module, GCOMP_SYM_SIGNATURE, false);
    if (!table)
      return table.takeError();
    auto sig = parseSignature(std::move(*table));
    if (!sig)
      return sig.takeError();
    if (!signatures.empty() &&
        (sig->dims.size() != signatures[0].dims.size() ||
         llvm::any_of(llvm::zip(sig->dims, signatures[0].dims), [](auto p) {
           return std::get<0>(p) != std::get<1>(p);
         })))
      return createStringError("variants differ in more than their dims");
    signatures.push_back(std::move(*sig));
    auto bytes = takeTable(*module, GCOMP_SYM_WORKSPACE_BYTES, true);
    if (!bytes)
      return bytes.takeError();
    if (!bytes->empty())
      workspace = std::max(workspace, (*bytes)[0]);

    if (module->getGlobalVariable(GCOMP_SYM_OUTPUT_BOUNDS))
      return createStringError(
          "--specialize: the model has outputs whose size depends on the "
          "input values (NonZero, Compress, Unique, NonMaxSuppression), "
          "which a library of variants does not support yet; compile one "
          "size at a time");
    Function *entry = module->getFunction(GCOMP_SYM_ENTRY);
    if (!entry)
      return createStringError("variant module has no " GCOMP_SYM_ENTRY);
    if (i > 0) {
      entry->setName(std::string(GCOMP_SYM_ENTRY) + ".v" + std::to_string(i));
      for (StringRef shared :
           {GCOMP_SYM_NAMES, GCOMP_SYM_DIM_NAMES, GCOMP_SYM_CPU_FEATURES,
            GCOMP_SYM_PRODUCER, GCOMP_SYM_THREADS, GCOMP_SYM_FP_FLAGS})
        if (GlobalVariable *global = module->getGlobalVariable(shared))
          global->eraseFromParent();
    }
    entryNames.push_back(entry->getName().str());
  }

  std::unique_ptr<Module> merged = std::move(variants[0]);
  Linker linker(*merged);
  for (size_t i = 1; i < variants.size(); ++i)
    if (linker.linkInModule(std::move(variants[i])))
      return createStringError("cannot link variant " + std::to_string(i));

  // The signature: -1 wherever the variants differ. The variant table: each
  // variant's dims, tensor by tensor.
  std::vector<int64_t> signature = signatures[0].table;
  std::vector<int64_t> table = {static_cast<int64_t>(signatures.size())};
  for (const Signature &sig : signatures)
    for (auto [first, rank] : sig.dims)
      for (size_t d = first; d < first + rank; ++d) {
        table.push_back(sig.table[d]);
        if (sig.table[d] != signature[d])
          signature[d] = -1;
      }
  addTable(*merged, GCOMP_SYM_SIGNATURE, signature);
  addTable(*merged, GCOMP_SYM_VARIANTS, table);
  if (workspace > 0)
    addTable(*merged, GCOMP_SYM_WORKSPACE_BYTES, {workspace});
  SmallVector<Constant *> entries;
  for (const std::string &name : entryNames)
    entries.push_back(merged->getFunction(name));
  auto *entriesType =
      ArrayType::get(PointerType::get(merged->getContext(), 0), entries.size());
  auto *entryTable = new GlobalVariable(
      *merged, entriesType, /*isConstant=*/true, GlobalValue::ExternalLinkage,
      ConstantArray::get(entriesType, entries), GCOMP_SYM_VARIANT_ENTRIES);
  entryTable->setVisibility(GlobalValue::HiddenVisibility);

  // The weights are equal in every variant: merge equal constants (the
  // model never compares their addresses) and drop what is left unused.
  for (GlobalVariable &global : merged->globals())
    if (global.hasLocalLinkage() && global.isConstant())
      global.setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  ModuleAnalysisManager mam;
  PassBuilder pb;
  pb.registerModuleAnalyses(mam);
  ModulePassManager mpm;
  mpm.addPass(ConstantMergePass());
  mpm.addPass(GlobalDCEPass());
  mpm.run(*merged, mam);
  return merged;
}

} // namespace gcomp
