//===- OutlineKernels.cpp - one named function per kernel -----------------===//

#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPOUTLINEKERNELS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// Values a kernel can rebuild rather than take as arguments: constants,
/// globals and views of them (the bare-pointer convention passes only
/// identity-layout buffers, so views are better rebuilt than passed).
bool rebuildable(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (isa<arith::ConstantOp, memref::GetGlobalOp>(def))
    return true;
  if (isa<ViewLikeOpInterface>(def))
    return llvm::all_of(def->getOperands(), [](Value operand) {
      return rebuildable(operand);
    });
  return false;
}

/// A symbol-friendly spelling of the kernel's label and ONNX node names.
std::string kernelSymbol(size_t index, Operation *op) {
  std::string name = "gcomp." + kernelLabel(index, op);
  SmallVector<StringRef> nodes = nodeNamesOf(op->getLoc());
  for (StringRef node : ArrayRef(nodes).take_front(3)) {
    name += ".";
    for (char c : node)
      name += llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_';
  }
  if (nodes.size() > 3)
    name += ".and_" + std::to_string(nodes.size() - 3) + "_more";
  return name;
}

bool passable(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type)
    return v.getType().isIntOrIndexOrFloat();
  return type.hasStaticShape() && type.getLayout().isIdentity();
}

struct OutlineKernelsPass
    : gcomp::impl::GcompOutlineKernelsBase<OutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal())
      return;
    SymbolTable symbols(module);
    for (auto [index, op] : llvm::enumerate(entryKernels(entry))) {
      // Everything the kernel reads from outside: operands and values its
      // regions capture.
      llvm::SetVector<Value> used;
      for (Value v : op->getOperands())
        used.insert(v);
      for (Region &region : op->getRegions())
        getUsedValuesDefinedAbove(region, used);
      SmallVector<Value> arguments, rebuilt;
      for (Value v : used)
        (rebuildable(v) ? rebuilt : arguments).push_back(v);
      if (!llvm::all_of(arguments, passable) || op->getNumResults() != 0)
        continue; // keep it inline: its interface has no bare-pointer form

      OpBuilder b(module.getContext());
      b.setInsertionPoint(entry);
      auto kernel = func::FuncOp::create(
          b, op->getLoc(), kernelSymbol(index, op),
          b.getFunctionType(ValueRange(arguments).getTypes(), {}));
      kernel.setPrivate();
      // Kept through func-to-llvm; the CPU target makes it `noinline`.
      kernel->setAttr("llvm.no_inline", b.getUnitAttr());
      symbols.insert(kernel);
      Block *body = kernel.addEntryBlock();
      b.setInsertionPointToStart(body);
      IRMapping mapping;
      for (auto [outer, inner] : llvm::zip(arguments, body->getArguments()))
        mapping.map(outer, inner);
      // Rebuild the constants and views, operands first.
      std::function<void(Value)> rebuild = [&](Value v) {
        if (mapping.contains(v))
          return;
        Operation *def = v.getDefiningOp();
        for (Value operand : def->getOperands())
          rebuild(operand);
        b.clone(*def, mapping);
      };
      for (Value v : rebuilt)
        rebuild(v);
      b.clone(*op, mapping);
      func::ReturnOp::create(b, op->getLoc());

      b.setInsertionPoint(op);
      func::CallOp::create(b, op->getLoc(), kernel, arguments);
      op->erase();
    }
  }
};

} // namespace
