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
// entry argument, at a polynomial in them (an output of past + seq rows,
// which the runtime evaluates), or at something the runtime cannot know
// beforehand, which is refused here.
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
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/MathExtras.h"

#include <map>
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

/// What a probe's size resolves to: an input dim, or else a computation
/// (the rows of a product, batch * sequence), numbered so that the same
/// computation of the same input dims has the same number.
/// A size as a polynomial in the entry's input dims: monomial (sorted
/// input dims, (arg, dim) pairs) to coefficient.
using Polynomial = std::map<SmallVector<std::pair<int64_t, int64_t>>, int64_t>;

struct Resolved {
  std::optional<InputDim> input;
  int64_t computation = -1;
  /// The computation as a polynomial in the input dims, where it is one.
  std::optional<Polynomial> polynomial;
};

std::optional<Polynomial> addPolynomials(const Polynomial &a,
                                         const Polynomial &b) {
  Polynomial r = a;
  for (const auto &[m, c] : b)
    if (llvm::AddOverflow(r[m], c, r[m]))
      return std::nullopt;
  return r;
}

std::optional<Polynomial> mulPolynomials(const Polynomial &a,
                                         const Polynomial &b) {
  Polynomial r;
  for (const auto &[ma, ca] : a)
    for (const auto &[mb, cb] : b) {
      auto m = ma;
      m.append(mb.begin(), mb.end());
      llvm::sort(m);
      int64_t product;
      if (llvm::MulOverflow(ca, cb, product) ||
          llvm::AddOverflow(r[m], product, r[m]))
        return std::nullopt;
    }
  return r;
}

/// `v` as a polynomial in the input dims, where it is one: the sizes the
/// lowerings and reifications compute are products and sums of dims
/// (batch * seq as the rows of a product, in either order).
std::optional<Polynomial> asPolynomial(Value v, func::FuncOp entry,
                                       int depth = 0) {
  if (depth > 64)
    return std::nullopt;
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return Polynomial{{{}, *c}};
  if (auto dim = v.getDefiningOp<tensor::DimOp>()) {
    auto arg = dyn_cast<BlockArgument>(dim.getSource());
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!arg || arg.getOwner() != &entry.getBody().front() || !index)
      return std::nullopt;
    return Polynomial{{{{arg.getArgNumber(), *index}}, 1}};
  }
  auto binary = [&](Value a, Value b, bool multiply) -> std::optional<Polynomial> {
    std::optional<Polynomial> x = asPolynomial(a, entry, depth + 1),
                              y = asPolynomial(b, entry, depth + 1);
    if (!x || !y)
      return std::nullopt;
    return multiply ? mulPolynomials(*x, *y) : addPolynomials(*x, *y);
  };
  if (auto mul = v.getDefiningOp<arith::MulIOp>())
    return binary(mul.getLhs(), mul.getRhs(), true);
  if (auto add = v.getDefiningOp<arith::AddIOp>())
    return binary(add.getLhs(), add.getRhs(), false);
  auto apply = v.getDefiningOp<affine::AffineApplyOp>();
  if (!apply)
    return std::nullopt;
  AffineMap map = apply.getAffineMap();
  std::function<std::optional<Polynomial>(AffineExpr)> eval =
      [&](AffineExpr e) -> std::optional<Polynomial> {
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return Polynomial{{{}, c.getValue()}};
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return asPolynomial(apply.getOperand(d.getPosition()), entry, depth + 1);
    if (auto s = dyn_cast<AffineSymbolExpr>(e))
      return asPolynomial(
          apply.getOperand(map.getNumDims() + s.getPosition()), entry,
          depth + 1);
    auto bin = dyn_cast<AffineBinaryOpExpr>(e);
    if (!bin || (e.getKind() != AffineExprKind::Add &&
                 e.getKind() != AffineExprKind::Mul))
      return std::nullopt;
    std::optional<Polynomial> x = eval(bin.getLHS()), y = eval(bin.getRHS());
    if (!x || !y)
      return std::nullopt;
    return e.getKind() == AffineExprKind::Mul ? mulPolynomials(*x, *y)
                                              : addPolynomials(*x, *y);
  };
  if (map.getNumResults() != 1)
    return std::nullopt;
  return eval(map.getResult(0));
}

/// Zero coefficients dropped, so that equal polynomials compare equal.
Polynomial normalized(Polynomial p) {
  for (auto it = p.begin(); it != p.end();)
    it = it->second == 0 ? p.erase(it) : std::next(it);
  return p;
}

/// Whether `a` and `b` compute the same size: the same ops on the same
/// (or equally computed) operands.
bool sameSize(Value a, Value b, int depth = 0) {
  if (a == b)
    return true;
  auto x = dyn_cast<OpResult>(a), y = dyn_cast<OpResult>(b);
  if (!x || !y || x.getResultNumber() != y.getResultNumber() || depth > 32)
    return false;
  return OperationEquivalence::isEquivalentTo(
      x.getOwner(), y.getOwner(),
      [&](Value l, Value r) { return success(sameSize(l, r, depth + 1)); },
      /*markEquivalent=*/nullptr, OperationEquivalence::IgnoreLocations);
}

/// Resolves each probe's size to an input dim, or numbers the computation
/// it is (a constant is not expected: the types would say so).
SmallVector<Resolved> resolve(func::FuncOp entry, ArrayRef<Probe> probes) {
  SmallVector<Resolved> result(probes.size());
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
  SmallVector<Value> computations;
  SmallVector<Polynomial> polynomials;
  for (auto [i, v] : llvm::enumerate(holder->getOperands())) {
    auto dim = v.getDefiningOp<tensor::DimOp>();
    auto arg = dim ? dyn_cast<BlockArgument>(dim.getSource()) : nullptr;
    std::optional<int64_t> index =
        dim ? dim.getConstantIndex() : std::nullopt;
    if (arg && arg.getOwner() == &entry.getBody().front() && index) {
      result[i].input = InputDim{arg.getArgNumber(), *index};
      continue;
    }
    // The same polynomial in the input dims, or else the same ops.
    if (std::optional<Polynomial> p = asPolynomial(v, entry)) {
      Polynomial key = normalized(*p);
      result[i].polynomial = key;
      auto same = llvm::find(polynomials, key);
      result[i].computation = same - polynomials.begin();
      if (same == polynomials.end())
        polynomials.push_back(key);
      continue;
    }
    Value size = v;
    auto same = llvm::find_if(computations,
                              [&](Value c) { return sameSize(c, size); });
    // Numbered after any polynomial (the two never coincide).
    result[i].computation = (1 << 20) + (same - computations.begin());
    if (same == computations.end())
      computations.push_back(v);
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
    SmallVector<Resolved> outputSources = resolve(entry, outputProbes);
    // An output dim is an input's, or a polynomial in them (a KV cache's
    // past + seq), which the runtime computes.
    SmallVector<int64_t> table = {GCOMP_DYNAMIC_DIMS_VERSION, 0}, formulas;
    int64_t numFormulas = 0;
    for (auto [od, resolved] : llvm::zip(outputDims, outputSources)) {
      if (std::optional<InputDim> source = resolved.input) {
        table.append({od.first, od.second, source->arg, source->dim});
        ++table[1];
        continue;
      }
      const std::optional<Polynomial> &p = resolved.polynomial;
      bool fits = p && !p->empty() &&
                  p->size() <= GCOMP_DYNAMIC_DIMS_MAX_TERMS &&
                  llvm::all_of(*p, [](const auto &term) {
                    return term.first.size() <= GCOMP_DYNAMIC_DIMS_MAX_DEGREE;
                  });
      if (!fits) {
        entry.emitError() << "output '" << name(true, od.first) << "': dim "
                          << od.second
                          << " is symbolic, and its size is neither an "
                             "input's dim nor a polynomial in them (a "
                             "clamped slice's max(seq - 1, 0)); the generic "
                             "variant does not compute such sizes yet";
        return signalPassFailure();
      }
      formulas.append({od.first, od.second, static_cast<int64_t>(p->size())});
      for (const auto &[monomial, coefficient] : *p) {
        formulas.append({coefficient, static_cast<int64_t>(monomial.size())});
        for (auto [arg, dim] : monomial)
          formulas.append({arg, dim});
      }
      ++numFormulas;
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
    // The runtime's attention reads each size from one operand: the heads
    // and s from the query, t from Kt, d from the query. The loops are
    // numbered after the logical scores [heads..., s, t], then d; a causal
    // attention over symbolic sizes came from a square mask, so its t is
    // its s.
    entry.walk([&](AttentionOp attention) {
      int64_t rank = attention.getType().getRank();
      int64_t s = rank - 2, t = attention.getCausal() ? s : rank - 1,
              d = rank;
      auto probe = [&](Value v, ArrayRef<int64_t> perm, int64_t logical,
                       int64_t loop) {
        int64_t dim = perm.empty() ? logical : perm[logical];
        if (!cast<RankedTensorType>(v.getType()).isDynamicDim(dim))
          return;
        loopProbes.push_back({v, dim});
        probeLoops.push_back({attention, loop});
        probeLocs.push_back(attention.getLoc());
      };
      for (int64_t i = 0; i < rank - 2; ++i)
        for (auto [v, perm] :
             {std::pair{attention.getQuery(), attention.getQueryPerm()},
              {attention.getKeyT(), attention.getKeyTPerm()},
              {attention.getValue(), attention.getValuePerm()}})
          probe(v, perm, i, i);
      probe(attention.getQuery(), attention.getQueryPerm(), s, s);
      probe(attention.getQuery(), attention.getQueryPerm(), rank - 1, d);
      probe(attention.getKeyT(), attention.getKeyTPerm(), rank - 2, d);
      probe(attention.getKeyT(), attention.getKeyTPerm(), rank - 1, t);
      probe(attention.getValue(), attention.getValuePerm(), rank - 2, t);
      // The mask's dims are the scores' trailing ones; a size-1 dim is
      // broadcast.
      if (Value mask = attention.getMask()) {
        int64_t maskRank = cast<RankedTensorType>(mask.getType()).getRank();
        for (int64_t j = 0; j < maskRank; ++j) {
          int64_t scoresDim = rank - maskRank + j;
          probe(mask, {}, j, scoresDim == rank - 1 ? t : scoresDim);
        }
      }
    });
    SmallVector<Resolved> loopSources = resolve(entry, loopProbes);
    llvm::MapVector<std::pair<Operation *, int64_t>, SmallVector<InputDim>>
        byLoop;
    // A loop whose size is computed (rows as batch * sequence) must be
    // computed alike for every operand that it reads: the runtime could
    // not check a difference.
    llvm::DenseMap<std::pair<Operation *, int64_t>, int64_t> computedLoops;
    for (auto [loop, source, loc] :
         llvm::zip(probeLoops, loopSources, probeLocs)) {
      bool mixed =
          source.input ? computedLoops.count(loop)
                       : (byLoop.count(loop) ||
                          computedLoops.lookup_or(loop, source.computation) !=
                              source.computation);
      if (mixed) {
        emitError(loc)
            << "the size of a symbolic dim of this op is computed in "
               "different ways for its operands; the generic variant "
               "cannot check that they agree";
        return signalPassFailure();
      }
      if (source.input)
        byLoop[loop].push_back(*source.input);
      else
        computedLoops[loop] = source.computation;
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
    table.push_back(numFormulas);
    table.append(formulas);

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    addAbiTable(b, entry.getLoc(), GCOMP_SYM_DYNAMIC_DIMS, table);
    entry->setAttr(kDynamicEntryAttr, b.getUnitAttr());
  }
};

} // namespace
