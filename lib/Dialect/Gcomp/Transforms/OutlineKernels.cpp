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

/// How a kernel's work splits across threads: along loop `dim` (the first
/// parallel loop longer than 1, every loop before it parallel and of
/// length 1), [0, extent) cut into ranges; operand i is cut along its dim
/// operandDims[i] (-1: read whole).
struct ParallelSplit {
  unsigned dim;
  int64_t extent;
  SmallVector<int64_t> operandDims;
};

/// Elements below which waking the thread pool costs more than it saves.
constexpr int64_t kMinParallelWork = 1 << 15;

/// The split of a linalg kernel on static buffers whose operands each
/// index the split loop directly or not at all; nullopt otherwise.
std::optional<ParallelSplit> parallelSplit(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics())
    return std::nullopt;
  // linalg.index would count from the slice's start, not the op's.
  bool usesIndex = false;
  op->walk([&](linalg::IndexOp) { usesIndex = true; });
  if (usesIndex)
    return std::nullopt;
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators =
      linalgOp.getIteratorTypesArray();
  int64_t work = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return std::nullopt;
    work *= r;
  }
  if (work < kMinParallelWork)
    return std::nullopt;
  ParallelSplit split;
  split.dim = ranges.size();
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (iterators[d] != utils::IteratorType::parallel)
      return std::nullopt;
    if (ranges[d] > 1) {
      split.dim = d;
      split.extent = ranges[d];
      break;
    }
  }
  if (split.dim == ranges.size())
    return std::nullopt;
  for (OpOperand &operand : linalgOp->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
    int64_t at = -1;
    for (auto [r, expr] : llvm::enumerate(map.getResults())) {
      if (!expr.isFunctionOfDim(split.dim))
        continue;
      auto dimExpr = dyn_cast<AffineDimExpr>(expr);
      if (!dimExpr || at >= 0 || !type)
        return std::nullopt; // a window, or the dim twice
      at = r;
    }
    split.operandDims.push_back(at);
  }
  // A buffer read or written twice (in place) must be cut the same way.
  DenseMap<Value, int64_t> dimOf;
  for (auto [operand, dim] :
       llvm::zip(linalgOp->getOperands(), split.operandDims))
    if (!dimOf.try_emplace(operand, dim).second && dimOf[operand] != dim)
      return std::nullopt;
  return split;
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

      // A kernel that runs on the thread pool takes the range of its split
      // loop as two more arguments; its operands must all be buffers (the
      // runtime passes them as pointers).
      std::optional<ParallelSplit> split =
          parallel && llvm::all_of(arguments,
                                   [](Value v) {
                                     return isa<MemRefType>(v.getType());
                                   })
              ? parallelSplit(op)
              : std::nullopt;

      OpBuilder b(module.getContext());
      b.setInsertionPoint(entry);
      SmallVector<Type> argumentTypes(ValueRange(arguments).getTypes());
      if (split)
        argumentTypes.append(2, b.getIndexType());
      auto kernel = func::FuncOp::create(b, op->getLoc(),
                                         kernelSymbol(index, op),
                                         b.getFunctionType(argumentTypes, {}));
      kernel.setPrivate();
      // Kept through func-to-llvm; the CPU target makes it `noinline`.
      kernel->setAttr("llvm.no_inline", b.getUnitAttr());
      if (split)
        kernel->setAttr(kParallelKernelAttr, b.getUnitAttr());
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
      if (split) {
        // The op on the slices [lo, hi) of its operands along the split.
        Value lo = body->getArgument(arguments.size());
        Value hi = body->getArgument(arguments.size() + 1);
        Value size = arith::SubIOp::create(b, op->getLoc(), hi, lo);
        DenseSet<Value> cut;
        for (auto [operand, dim] :
             llvm::zip(op->getOperands(), split->operandDims)) {
          if (dim < 0 || !cut.insert(operand).second)
            continue;
          auto type = cast<MemRefType>(operand.getType());
          SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
          SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                                   b.getIndexAttr(1));
          for (int64_t d = 0; d < type.getRank(); ++d)
            sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
          offsets[dim] = lo;
          sizes[dim] = size;
          Value inner = mapping.lookupOrDefault(operand);
          mapping.map(operand, memref::SubViewOp::create(
                                   b, op->getLoc(), inner, offsets, sizes,
                                   strides));
        }
      }
      b.clone(*op, mapping);
      func::ReturnOp::create(b, op->getLoc());

      b.setInsertionPoint(op);
      SmallVector<Value> callArguments(arguments.begin(), arguments.end());
      if (split) {
        callArguments.push_back(
            arith::ConstantIndexOp::create(b, op->getLoc(), 0));
        callArguments.push_back(
            arith::ConstantIndexOp::create(b, op->getLoc(), split->extent));
      }
      func::CallOp::create(b, op->getLoc(), kernel, callArguments);
      op->erase();
    }
  }
};

} // namespace
