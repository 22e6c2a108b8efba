//===- GpuVectorizeLoops.cpp - 16-byte accesses for element-wise loops ----===//
//
// gcomp-map-to-gpu gives each iteration of a parallel loop a thread. For an
// element-wise loop that is one 4-byte load per input and one 4-byte store
// per thread: the memory system moves 16 bytes per instruction as cheaply
// as 4, and a warp then issues a quarter of the requests. This pass lets
// each iteration cover V neighbouring elements of the innermost dimension
// (V * element size = 16 bytes), with vector loads and stores that LLVM's
// NVPTX backend emits as ld.v4 / st.v4, and vector arithmetic between.
//
// A vector access must be aligned to its size, or the backend splits it.
// The alignment is proven from the IR: every memref the loop touches is a
// view (with static offset and strides in its type) of a function argument
// or of a memref.view at a constant byte shift of one; the arguments (the
// model's inputs, outputs and workspace) are 16-byte aligned, which the
// runtime guarantees (runtime/src/cuda.c stages a misaligned device
// pointer). A loop whose accesses cannot be proven aligned, or that does
// anything but element-wise arithmetic on elements indexed by the
// innermost induction variable itself (a shifted, strided or gathered
// index, an inner loop, a branch), is left as it is.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/MathExtras.h"

#include <limits>
#include <numeric>

namespace gcomp {
#define GEN_PASS_DEF_GCOMPGPUVECTORIZELOOPS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// The alignment of the entry's arguments on the device, in bytes: the
/// workspace comes from cuMemAlloc (256), the runtime's staging buffers
/// are 256-aligned, and a caller's device pointer that is not 16-aligned
/// is staged too.
constexpr int64_t kArgumentAlignment = 16;

/// The byte alignment known for the pointer that `memref`'s layout offset
/// counts from, following views back to an argument of the function.
int64_t baseAlignment(Value memref) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(memref)) {
      // The model's entry (public); a private function's arguments may be
      // any views.
      auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      return func && func.isPublic() && arg.getOwner()->isEntryBlock()
                 ? kArgumentAlignment
                 : 1;
    }
    Operation *def = memref.getDefiningOp();
    if (auto view = dyn_cast<memref::ViewOp>(def)) {
      std::optional<int64_t> shift = getConstantIntValue(view.getByteShift());
      if (!shift)
        return 1;
      int64_t source = baseAlignment(view.getSource());
      return std::gcd(source, *shift == 0 ? source : *shift);
    }
    // These keep the source's base pointer; the result's layout offset
    // (in its type) counts from it.
    if (isa<memref::SubViewOp, memref::ReinterpretCastOp,
            memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp>(
            def)) {
      memref = def->getOperand(0);
      continue;
    }
    return 1;
  }
}

/// What is known of an index value of the loop body once each iteration
/// covers V lanes, j0 to j0 + V - 1 (j0 a multiple of V): the value is
/// computed once, for lane 0; `unit` says it grows by one from lane to
/// lane (else it is the same in every lane); `multiple` divides its lane-0
/// value.
struct LaneForm {
  bool unit = false;
  int64_t multiple = 1;
};

/// A multiple known of a constant: the constant (any, for 0).
constexpr int64_t kAnyMultiple = int64_t(1) << 40;

/// Rewrites a parallel loop to step V at a time on its innermost dimension,
/// on vectors, when its body allows.
class LoopVectorizer {
public:
  LoopVectorizer(scf::ParallelOp loop, int64_t maxBytes)
      : loop(loop), maxBytes(maxBytes) {}

  /// The vector length (2 or more) with which every access of the body
  /// that varies from lane to lane is an aligned vector access, or 0 if
  /// the loop is to stay as it is.
  int64_t chooseLanes() {
    int64_t last = loop.getNumLoops() - 1;
    j = loop.getInductionVars()[last];
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[last]);
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[last]);
    std::optional<int64_t> step = getConstantIntValue(loop.getStep()[last]);
    if (!lb || !ub || !step || *lb != 0 || *step != 1 || loop.getNumResults())
      return 0;
    for (int64_t candidate = maxBytes; candidate >= 2; candidate /= 2) {
      if (*ub % candidate != 0)
        continue;
      lanes = candidate;
      varying.clear();
      forms.clear();
      onJ.clear();
      widest = 0;
      // The lanes are counted in elements of the widest vector access (of
      // which there must be one).
      if (analyze(*loop.getBody()) && widest != 0 &&
          widest * lanes <= maxBytes * 8)
        return lanes;
    }
    return 0;
  }

  /// Rewrites the loop to step `lanes` at a time on vectors.
  void rewrite() {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    int64_t last = loop.getNumLoops() - 1;
    SmallVector<Value> steps(loop.getStep());
    steps[last] = arith::ConstantIndexOp::create(b, loc, lanes);
    auto vectorLoop = scf::ParallelOp::create(
        b, loc, loop.getLowerBound(), loop.getUpperBound(), steps);
    b.setInsertionPoint(vectorLoop.getBody()->getTerminator());
    IRMapping mapping;
    for (auto [from, to] : llvm::zip(loop.getInductionVars(),
                                     vectorLoop.getInductionVars()))
      mapping.map(from, to);
    rewriteBlock(b, *loop.getBody(), mapping);
    loop.erase();
  }

private:
  LaneForm formOf(Value v) const {
    if (v == j)
      return {true, lanes};
    if (auto it = forms.find(v); it != forms.end())
      return it->second;
    if (std::optional<int64_t> c = getConstantIntValue(v))
      return {false, *c == 0                                  ? kAnyMultiple
                     : *c == std::numeric_limits<int64_t>::min() ? 1
                                                               : std::abs(*c)};
    return {};
  }

  bool dependsOnJ(Value v) const { return v == j || onJ.contains(v); }

  /// The lane form of an index computation on j, or nothing if the lanes'
  /// values do not follow one (a product of j, a division that would
  /// cross lanes, ...).
  std::optional<LaneForm> indexForm(Operation &op) const {
    if (op.getNumOperands() != 2 || op.getNumResults() != 1)
      return std::nullopt;
    LaneForm a = formOf(op.getOperand(0)), b = formOf(op.getOperand(1));
    // Either factor divides a product; keep the product while it is small.
    auto product = [](int64_t x, int64_t y) {
      return x > kAnyMultiple / y ? std::max(x, y) : x * y;
    };
    if (isa<arith::AddIOp>(op)) {
      if (a.unit && b.unit)
        return std::nullopt;
      return LaneForm{a.unit || b.unit, std::gcd(a.multiple, b.multiple)};
    }
    if (isa<arith::MulIOp>(op)) {
      if (a.unit || b.unit)
        return std::nullopt;
      return LaneForm{false, product(a.multiple, b.multiple)};
    }
    std::optional<int64_t> divisor = getConstantIntValue(op.getOperand(1));
    if (!divisor || *divisor <= 0 || b.unit)
      return std::nullopt;
    // A remainder or quotient by c of a unit value stays within one
    // period of c across the lanes when c and its lane-0 value are
    // multiples of V.
    if (a.unit && (*divisor % lanes != 0 || a.multiple % lanes != 0))
      return std::nullopt;
    if (isa<arith::RemUIOp>(op))
      return LaneForm{a.unit, std::gcd(a.multiple, *divisor)};
    if (isa<arith::DivUIOp>(op))
      return LaneForm{false,
                      a.multiple % *divisor == 0 && a.multiple != kAnyMultiple
                          ? a.multiple / *divisor
                          : 1};
    return std::nullopt;
  }

  /// Whether the access `indices` of `memref` reads or writes the lanes'
  /// elements contiguously, the first at an address aligned to the
  /// vector's size: one index grows with the lanes, in a dimension of
  /// stride 1, and every term of the address at lane 0 is a multiple of V.
  bool contiguousAccess(Value memref, ValueRange indices) const {
    auto type = cast<MemRefType>(memref.getType());
    // Numbers only (an index's size is the target's).
    if (!type.getElementType().isIntOrFloat() || type.getRank() == 0)
      return false;
    unsigned bits = type.getElementTypeBitWidth();
    if (bits == 0 || bits % 8 != 0)
      return false;
    if (baseAlignment(memref) % (lanes * bits / 8) != 0)
      return false;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        ShapedType::isDynamic(offset) || offset % lanes != 0)
      return false;
    int units = 0;
    for (auto [d, index] : llvm::enumerate(indices)) {
      LaneForm form = formOf(index);
      if (form.unit) {
        // Vector accesses run along the last dimension.
        ++units;
        if (static_cast<int64_t>(d) != type.getRank() - 1 ||
            strides[d] != 1 || form.multiple % lanes != 0)
          return false;
        continue;
      }
      if (type.getDimSize(d) == 1)
        continue;
      // The term index * stride is a multiple of V (a power of two).
      if (ShapedType::isDynamic(strides[d]) ||
          (form.multiple % lanes) * (strides[d] % lanes) % lanes != 0)
        return false;
    }
    return units == 1;
  }

  bool laneVarying(ValueRange indices) const {
    return llvm::any_of(indices, [&](Value v) { return formOf(v).unit; });
  }

  void noteAccess(Value memref) {
    widest = std::max(
        widest, cast<MemRefType>(memref.getType()).getElementTypeBitWidth());
  }

  /// Classifies the operations of `block` (the loop's body or a nested
  /// scf.for's): false if one of them prevents vectorization.
  bool analyze(Block &block) {
    for (Operation &op : block.without_terminator()) {
      bool vectorOperand = llvm::any_of(
          op.getOperands(), [&](Value v) { return varying.contains(v); });
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        // An element that is the same in every lane (a bias) is loaded
        // once and broadcast where used.
        if (!laneVarying(load.getIndices()))
          continue;
        if (!contiguousAccess(load.getMemRef(), load.getIndices()))
          return false;
        noteAccess(load.getMemRef());
        varying.insert(load.getResult());
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        // Every lane storing to one element would not be element-wise.
        if (!laneVarying(store.getIndices()) ||
            !contiguousAccess(store.getMemRef(), store.getIndices()))
          return false;
        noteAccess(store.getMemRef());
      } else if (auto forOp = dyn_cast<scf::ForOp>(op)) {
        // A sequential loop inside (the sum of split partial products):
        // its bounds the same in every lane, its carried values vectors.
        if (formOf(forOp.getLowerBound()).unit ||
            formOf(forOp.getUpperBound()).unit ||
            formOf(forOp.getStep()).unit)
          return false;
        // Its carried values become vectors: numbers only, started from a
        // value that is a vector already or the same in every lane.
        for (Value init : forOp.getInitArgs())
          if (!init.getType().isIntOrFloat() || formOf(init).unit)
            return false;
        for (Value v : forOp.getRegionIterArgs())
          varying.insert(v);
        for (Value v : forOp.getResults())
          varying.insert(v);
        if (!analyze(*forOp.getBody()))
          return false;
      } else if (isa<arith::AddIOp, arith::MulIOp, arith::RemUIOp,
                     arith::DivUIOp>(op) &&
                 op.getResult(0).getType().isIndex()) {
        // Index arithmetic, computed once for lane 0: what it does across
        // the lanes when it depends on j, and the multiples it keeps.
        bool dependent = llvm::any_of(
            op.getOperands(), [&](Value v) { return dependsOnJ(v); });
        std::optional<LaneForm> form = indexForm(op);
        if (!form && dependent)
          return false;
        if (form)
          forms[op.getResult(0)] = *form;
        if (dependent)
          onJ.insert(op.getResult(0));
      } else if (llvm::any_of(op.getOperands(), [&](Value v) {
                   return formOf(v).unit;
                 })) {
        // Any other use of an index that differs from lane to lane.
        return false;
      } else if (vectorOperand) {
        if (!isElementwiseArithmetic(op))
          return false;
        for (Value r : op.getResults())
          varying.insert(r);
      } else if (!isMemoryEffectFree(&op) || op.getNumRegions() != 0) {
        // Views, constants and arithmetic the same in every lane stay
        // scalar; anything else that touches memory does not.
        return false;
      }
    }
    return true;
  }

  VectorType vectorOf(Type scalar) const {
    return VectorType::get({lanes}, scalar);
  }

  /// `original`'s counterpart as a vector: values the same in every lane
  /// broadcast.
  Value lanesOf(OpBuilder &b, Location loc, IRMapping &mapping,
                Value original) const {
    Value mapped = mapping.lookupOrDefault(original);
    if (varying.contains(original))
      return mapped;
    return vector::BroadcastOp::create(b, loc, vectorOf(mapped.getType()),
                                       mapped);
  }

  IntegerAttr alignment(OpBuilder &b, Value memref) const {
    unsigned bits = cast<MemRefType>(memref.getType()).getElementTypeBitWidth();
    return b.getI64IntegerAttr(lanes * bits / 8);
  }

  /// Emits `block`'s operations (but its terminator) at the builder.
  void rewriteBlock(OpBuilder &b, Block &block, IRMapping &mapping) {
    auto mapped = [&](ValueRange values) {
      return llvm::map_to_vector(
          values, [&](Value v) { return mapping.lookupOrDefault(v); });
    };
    for (Operation &op : block.without_terminator()) {
      Location loc = op.getLoc();
      auto load = dyn_cast<memref::LoadOp>(op);
      if (load && varying.contains(load.getResult())) {
        auto vload = vector::LoadOp::create(
            b, loc, vectorOf(load.getType()),
            mapping.lookupOrDefault(load.getMemRef()),
            mapped(load.getIndices()));
        vload.setAlignmentAttr(alignment(b, load.getMemRef()));
        mapping.map(load.getResult(), vload.getResult());
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        auto vstore = vector::StoreOp::create(
            b, loc, lanesOf(b, loc, mapping, store.getValueToStore()),
            mapping.lookupOrDefault(store.getMemRef()),
            mapped(store.getIndices()));
        vstore.setAlignmentAttr(alignment(b, store.getMemRef()));
      } else if (auto forOp = dyn_cast<scf::ForOp>(op)) {
        SmallVector<Value> inits =
            llvm::map_to_vector(forOp.getInitArgs(), [&](Value v) {
              return lanesOf(b, loc, mapping, v);
            });
        auto vectorFor = scf::ForOp::create(
            b, loc, mapping.lookupOrDefault(forOp.getLowerBound()),
            mapping.lookupOrDefault(forOp.getUpperBound()),
            mapping.lookupOrDefault(forOp.getStep()), inits);
        mapping.map(forOp.getInductionVar(), vectorFor.getInductionVar());
        for (auto [from, to] : llvm::zip(forOp.getRegionIterArgs(),
                                         vectorFor.getRegionIterArgs()))
          mapping.map(from, to);
        OpBuilder::InsertionGuard guard(b);
        Block *body = vectorFor.getBody();
        // The builder gives a loop without carried values its yield.
        bool hasYield = !body->empty();
        if (hasYield)
          b.setInsertionPoint(body->getTerminator());
        else
          b.setInsertionPointToEnd(body);
        rewriteBlock(b, *forOp.getBody(), mapping);
        if (!hasYield)
          scf::YieldOp::create(
              b, loc,
              llvm::map_to_vector(
                  forOp.getBody()->getTerminator()->getOperands(),
                  [&](Value v) { return lanesOf(b, loc, mapping, v); }));
        for (auto [from, to] :
             llvm::zip(forOp.getResults(), vectorFor.getResults()))
          mapping.map(from, to);
      } else if (llvm::any_of(op.getResults(), [&](Value r) {
                   return varying.contains(r);
                 })) {
        // Operands first: their broadcasts must come before the op.
        SmallVector<Value> operands =
            llvm::map_to_vector(op.getOperands(), [&](Value v) {
              return lanesOf(b, loc, mapping, v);
            });
        Operation *vectorOp = b.clone(op, mapping);
        vectorOp->setOperands(operands);
        for (OpResult result : vectorOp->getResults())
          result.setType(vectorOf(result.getType()));
        for (auto [from, to] :
             llvm::zip(op.getResults(), vectorOp->getResults()))
          mapping.map(from, to);
      } else {
        // The same in every lane, or an index for lane 0.
        b.clone(op, mapping);
      }
    }
  }

  /// Scalar arithmetic that applies lane by lane to vectors of its
  /// operands (arith and math ops on numbers, not on indices).
  static bool isElementwiseArithmetic(Operation &op) {
    if (!op.hasTrait<OpTrait::Elementwise>() ||
        !op.hasTrait<OpTrait::Vectorizable>() || !isMemoryEffectFree(&op) ||
        op.getNumResults() != 1)
      return false;
    auto scalar = [](Type t) { return t.isIntOrFloat() && !t.isIndex(); };
    return llvm::all_of(op.getOperandTypes(), scalar) &&
           llvm::all_of(op.getResultTypes(), scalar);
  }

  scf::ParallelOp loop;
  int64_t maxBytes;
  /// Elements per iteration: per lane, one element of each access.
  int64_t lanes = 0;
  /// The widest element of the vector accesses, in bits (0: none yet).
  unsigned widest = 0;
  Value j;
  /// Values that become vectors of the lanes' values.
  DenseSet<Value> varying;
  /// Index values of the body computed by arithmetic, for lane 0, and
  /// those of them that depend on j.
  DenseMap<Value, LaneForm> forms;
  DenseSet<Value> onJ;
};

struct GpuVectorizeLoopsPass
    : gcomp::impl::GcompGpuVectorizeLoopsBase<GpuVectorizeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxBytes < 2 || !llvm::isPowerOf2_64(maxBytes)) {
      getOperation().emitError()
          << "gcomp-gpu-vectorize-loops: max-bytes must be a power of two "
             "of at least 2, not "
          << static_cast<int64_t>(maxBytes);
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> loops;
    for (Operation &op : getOperation().getBody().getOps())
      if (auto loop = dyn_cast<scf::ParallelOp>(op))
        loops.push_back(loop);
    for (scf::ParallelOp loop : loops) {
      LoopVectorizer vectorizer(loop, maxBytes);
      if (vectorizer.chooseLanes())
        vectorizer.rewrite();
    }
  }
};

} // namespace
