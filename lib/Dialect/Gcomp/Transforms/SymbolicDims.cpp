//===- SymbolicDims.cpp - symbolic dims in terms of the inputs' dims ------===//
//
// The generic variant (docs/dynamic-shapes.md) runs one code for every size
// of a symbolic dim. The runtime must know, before the call, the shape of
// every output (the caller's buffers are checked against it, run_alloc sizes
// its own) and which input dims the code takes to be equal (an elementwise
// add of two inputs of [batch, 8] reads both with one loop over the first
// one's batch). Both come from the IR: every dynamic size a lowering creates
// is a `tensor.dim` of an operand, so resolving `tensor.dim` of a value
// through the reified result shapes of its producers ends at a dim of an
// entry argument, or at something the runtime cannot know beforehand, which
// is refused here.
//
//===----------------------------------------------------------------------===//

#include "AbiGlobals.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPSYMBOLICDIMS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// Dim `dim` of entry argument `arg`.
struct InputDim {
  int64_t arg, dim;
  bool operator==(const InputDim &o) const {
    return arg == o.arg && dim == o.dim;
  }
};

/// A dynamic dim of a value to resolve, and what asked for it.
struct Probe {
  Value value;
  int64_t dim;
};

/// Resolves each probe's size to an input dim: std::nullopt where it is
/// not one (a constant is not expected either: the types would say so).
SmallVector<std::optional<InputDim>> resolve(func::FuncOp entry,
                                             ArrayRef<Probe> probes) {
  SmallVector<std::optional<InputDim>> result(probes.size());
  if (probes.empty())
    return result;
  OpBuilder b(entry.getContext());
  b.setInsertionPoint(entry.getBody().front().getTerminator());
  SmallVector<Value> dims;
  for (const Probe &p : probes) {
    if (auto op = p.value.getDefiningOp())
      b.setInsertionPointAfter(op);
    else
      b.setInsertionPointToStart(&entry.getBody().front());
    dims.push_back(tensor::DimOp::create(b, p.value.getLoc(), p.value, p.dim));
  }
  // One user that no pattern touches, and that the rewriter does not take
  // for dead (an op it knows nothing of), keeps the resolved values.
  b.setInsertionPoint(entry.getBody().front().getTerminator());
  OperationState state(entry.getLoc(), "gcomp_symbolic_dims.holder");
  state.addOperands(dims);
  Operation *holder = b.create(state);
  RewritePatternSet patterns(entry.getContext());
  memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
  tensor::DimOp::getCanonicalizationPatterns(patterns, entry.getContext());
  // Reshapes reify their sizes as affine maps of their operand's.
  affine::AffineApplyOp::getCanonicalizationPatterns(patterns,
                                                     entry.getContext());
  // Only the size computations are touched (the probes, the code's own
  // tensor.dim and affine.apply, which a reshape's sizes are, and what
  // rewriting them creates): the rest of the code, and the ops the caller
  // holds, stay as they are.
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  SmallVector<Operation *> sizeOps;
  entry.walk([&](Operation *op) {
    if (isa<tensor::DimOp, affine::AffineApplyOp>(op))
      sizeOps.push_back(op);
  });
  (void)applyOpPatternsGreedily(sizeOps, std::move(patterns), config);
  for (auto [i, v] : llvm::enumerate(holder->getOperands())) {
    auto dim = v.getDefiningOp<tensor::DimOp>();
    if (!dim)
      continue;
    auto arg = dyn_cast<BlockArgument>(dim.getSource());
    std::optional<int64_t> index = dim.getConstantIndex();
    if (arg && arg.getOwner() == &entry.getBody().front() && index)
      result[i] = InputDim{arg.getArgNumber(), *index};
  }
  holder->erase();
  // The probes, and what they resolved to, are dead now unless the code
  // uses them too.
  entry.walk([](tensor::DimOp dim) {
    if (dim->use_empty())
      dim.erase();
  });
  return result;
}

struct SymbolicDimsPass
    : gcomp::impl::GcompSymbolicDimsBase<SymbolicDimsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal())
      return;
    auto isDynamic = [](Type t) {
      auto shaped = dyn_cast<ShapedType>(t);
      return shaped && !shaped.hasStaticShape();
    };
    if (llvm::none_of(entry.getArgumentTypes(), isDynamic) &&
        llvm::none_of(entry.getResultTypes(), isDynamic))
      return;
    auto name = [&](bool output, int64_t i) -> std::string {
      auto attr = output
                      ? entry.getResultAttrOfType<StringAttr>(i, "gcomp.name")
                      : entry.getArgAttrOfType<StringAttr>(i, "gcomp.name");
      return attr ? attr.str() : "#" + std::to_string(i);
    };

    // Every dynamic output dim.
    auto ret = cast<func::ReturnOp>(entry.getBody().front().getTerminator());
    SmallVector<Probe> outputProbes;
    SmallVector<std::pair<int64_t, int64_t>> outputDims;
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      auto type = cast<ShapedType>(v.getType());
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d)) {
          outputProbes.push_back({v, d});
          outputDims.push_back({static_cast<int64_t>(i), d});
        }
    }
    SmallVector<std::optional<InputDim>> outputSources =
        resolve(entry, outputProbes);
    SmallVector<int64_t> table = {GCOMP_DYNAMIC_DIMS_VERSION,
                                  static_cast<int64_t>(outputDims.size())};
    for (auto [od, source] : llvm::zip(outputDims, outputSources)) {
      if (!source) {
        entry.emitError() << "output '" << name(true, od.first) << "': dim "
                          << od.second
                          << " is symbolic, and its size is not an input's "
                             "dim; the generic variant does not compute "
                             "such sizes yet";
        return signalPassFailure();
      }
      table.append({od.first, od.second, source->arg, source->dim});
    }

    // The dynamic operand dims that each linalg op reads as one loop.
    // Probes are keyed by their op and loop; the op is only compared, and
    // reported through its location.
    SmallVector<Probe> loopProbes;
    SmallVector<std::pair<Operation *, int64_t>> probeLoops;
    SmallVector<Location> probeLocs;
    entry.walk([&](linalg::LinalgOp op) {
      for (OpOperand &operand : op->getOpOperands()) {
        auto type = dyn_cast<RankedTensorType>(operand.get().getType());
        if (!type || type.hasStaticShape())
          continue;
        AffineMap map = op.getMatchingIndexingMap(&operand);
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            if (auto loop = dyn_cast<AffineDimExpr>(map.getResult(d))) {
              loopProbes.push_back({operand.get(), d});
              probeLoops.push_back({op, loop.getPosition()});
              probeLocs.push_back(op->getLoc());
            }
      }
    });
    // The runtime's fused conv reads its input's batch and writes that
    // many images into init (a residual, possibly another input).
    entry.walk([&](FusedConvOp conv) {
      for (Value v : {conv.getInput(), conv.getInit()})
        if (cast<RankedTensorType>(v.getType()).isDynamicDim(0)) {
          loopProbes.push_back({v, 0});
          probeLoops.push_back({conv, 0});
          probeLocs.push_back(conv.getLoc());
        }
    });
    SmallVector<std::optional<InputDim>> loopSources =
        resolve(entry, loopProbes);
    llvm::MapVector<std::pair<Operation *, int64_t>, SmallVector<InputDim>>
        byLoop;
    for (auto [loop, source, loc] :
         llvm::zip(probeLoops, loopSources, probeLocs)) {
      if (!source) {
        emitError(loc)
            << "the size of a symbolic dim of this op is not an input's dim; "
               "the generic variant does not compute such sizes yet";
        return signalPassFailure();
      }
      byLoop[loop].push_back(*source);
    }
    SmallVector<std::pair<InputDim, InputDim>> equal;
    // Dims the model names alike are one size: the importer computes
    // sizes (a reshape's, a mask's) from the first of them.
    llvm::StringMap<InputDim> named;
    for (unsigned arg = 0; arg < entry.getNumArguments(); ++arg) {
      auto type = dyn_cast<ShapedType>(entry.getArgument(arg).getType());
      auto names = entry.getArgAttrOfType<ArrayAttr>(arg, kDimNamesAttr);
      if (!type || !type.hasRank() || !names)
        continue;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        auto dimName = d < static_cast<int64_t>(names.size())
                           ? dyn_cast<StringAttr>(names[d])
                           : StringAttr();
        if (!type.isDynamicDim(d) || !dimName || dimName.getValue().empty())
          continue;
        InputDim here{arg, d};
        auto [it, inserted] = named.try_emplace(dimName.getValue(), here);
        if (!inserted)
          equal.push_back({it->second, here});
      }
    }
    for (auto &[loop, sources] : byLoop)
      for (const InputDim &other : llvm::drop_begin(sources))
        if (!(other == sources.front()) &&
            !llvm::is_contained(equal, std::make_pair(sources.front(), other)))
          equal.push_back({sources.front(), other});
    table.push_back(static_cast<int64_t>(equal.size()));
    for (auto &[a, c] : equal)
      table.append({a.arg, a.dim, c.arg, c.dim});

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    addAbiTable(b, entry.getLoc(), GCOMP_SYM_DYNAMIC_DIMS, table);
    entry->setAttr(kDynamicEntryAttr, b.getUnitAttr());
  }
};

} // namespace
