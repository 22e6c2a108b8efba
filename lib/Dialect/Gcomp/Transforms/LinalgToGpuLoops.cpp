//===- LinalgToGpuLoops.cpp - loops for GPU threads, reducing in registers ===//
//
// One GPU thread computes one element of a linalg op's outputs: it loads
// the element once, runs the reduction loops on a value, and stores it
// once. Values carried by scf.for become registers; a load and a store of
// the output at every reduction step (what convert-linalg-to-parallel-loops
// emits) would not, since nothing tells LLVM that the output does not alias
// the inputs.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "GpuLowering.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPLINALGTOGPULOOPS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// Emits `op`'s body at the builder for the iteration `ivs`: the inputs
/// loaded (scalar operands used as they are; `given`, if any, bound to
/// `givenValue` instead), the outputs' block arguments bound to `outputs`
/// (which may be left empty when the body does not read them),
/// linalg.index to the induction variables. Returns the values the body
/// yields.
SmallVector<Value> emitBody(OpBuilder &b, Location loc, linalg::LinalgOp op,
                            ArrayRef<Value> ivs, ValueRange outputs,
                            OpOperand *given = nullptr,
                            Value givenValue = {}) {
  Block *body = op.getBlock();
  IRMapping mapping;
  for (OpOperand *input : op.getDpsInputOperands()) {
    BlockArgument arg = body->getArgument(input->getOperandNumber());
    if (input == given) {
      mapping.map(arg, givenValue);
      continue;
    }
    if (!isa<MemRefType>(input->get().getType())) {
      mapping.map(arg, input->get());
      continue;
    }
    SmallVector<Value> indices =
        gcomp::applyIndexingMap(b, loc, op.getMatchingIndexingMap(input), ivs);
    mapping.map(arg, memref::LoadOp::create(b, loc, input->get(), indices));
  }
  for (auto [k, value] : llvm::enumerate(outputs))
    mapping.map(body->getArgument(op.getDpsInitOperand(k)->getOperandNumber()),
                value);
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  SmallVector<Value> results;
  for (Value yielded : body->getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(yielded));
  return results;
}

/// Whether every output is indexed by parallel dimensions only (else the
/// output changes along a reduction, and cannot live in a register).
bool outputsAreParallel(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (AffineExpr expr : map.getResults()) {
      bool reduces = false;
      expr.walk([&](AffineExpr e) {
        if (auto dim = dyn_cast<AffineDimExpr>(e))
          reduces |= iterators[dim.getPosition()] ==
                     utils::IteratorType::reduction;
      });
      if (reduces)
        return false;
    }
  }
  return true;
}

LogicalResult lower(linalg::LinalgOp op, const gcomp::OutputStart &start,
                    const gcomp::Epilogue &epilogue = {}) {
  if (!op.hasPureBufferSemantics() || !outputsAreParallel(op) ||
      op->getNumRegions() != 1 || op.getBlock() == nullptr)
    return failure();
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Range> ranges = op.createLoopRanges(b, loc);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t numLoops = iterators.size();
  SmallVector<Value> ivs(numLoops);
  SmallVector<int64_t> parallel, reduction;
  for (int64_t d = 0; d < numLoops; ++d)
    (iterators[d] == utils::IteratorType::parallel ? parallel : reduction)
        .push_back(d);
  auto value = [&](OpFoldResult r) {
    return getValueOrCreateConstantIndexOp(b, loc, r);
  };

  // The parallel loop, when there is one; the builder ends up inside it.
  if (!parallel.empty()) {
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d : parallel) {
      lbs.push_back(value(ranges[d].offset));
      ubs.push_back(value(ranges[d].size));
      steps.push_back(value(ranges[d].stride));
    }
    auto loop = scf::ParallelOp::create(b, loc, lbs, ubs, steps);
    for (auto [k, d] : llvm::enumerate(parallel))
      ivs[d] = loop.getInductionVars()[k];
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }

  // Each output element, once.
  SmallVector<Value> accumulators;
  SmallVector<SmallVector<Value>> outputIndices;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    // Reduction dims are not in the map: any placeholder will do.
    SmallVector<Value> mapIvs = ivs;
    for (Value &iv : mapIvs)
      if (!iv)
        iv = arith::ConstantIndexOp::create(b, loc, 0);
    outputIndices.push_back(gcomp::applyIndexingMap(b, loc, map, mapIvs));
    accumulators.push_back(
        start ? start.at(b, loc, outputIndices.back())
              : memref::LoadOp::create(b, loc, init.get(),
                                       outputIndices.back())
                    .getResult());
  }

  // The reduction loops carry the outputs; the body runs in the innermost.
  SmallVector<scf::ForOp> fors;
  for (int64_t d : reduction) {
    auto loop = scf::ForOp::create(b, loc, value(ranges[d].offset),
                                   value(ranges[d].size),
                                   value(ranges[d].stride), accumulators);
    ivs[d] = loop.getInductionVar();
    if (!fors.empty())
      scf::YieldOp::create(b, loc, loop.getResults());
    fors.push_back(loop);
    b.setInsertionPointToStart(loop.getBody());
    accumulators.assign(loop.getRegionIterArgs().begin(),
                        loop.getRegionIterArgs().end());
  }

  SmallVector<Value> results = emitBody(b, loc, op, ivs, accumulators);

  // Close the reduction loops, innermost first.
  if (!fors.empty()) {
    scf::YieldOp::create(b, loc, results);
    results.assign(fors.front().getResults().begin(),
                   fors.front().getResults().end());
    b.setInsertionPointAfter(fors.front());
  }
  for (auto [k, init] : llvm::enumerate(op.getDpsInitsMutable())) {
    if (epilogue)
      epilogue.store(b, loc, results[k], outputIndices[k]);
    else
      memref::StoreOp::create(b, loc, results[k], init.get(),
                              outputIndices[k]);
  }
  op->erase();
  return success();
}

/// Warp reductions: an op with few outputs and long reductions (the last
/// convolutions of a ResNet, a classifier, a global pooling, the squeeze of
/// a squeeze-excitation block) would leave most of the GPU idle with one
/// thread per output. Then 32 threads, one warp, share each output: lane l
/// folds the reduction terms l, l + 32, ... into a partial result, the
/// lanes combine their partials with shuffles, and lane 0 combines the sum
/// with the output's old value and stores it. This reassociates the
/// reduction, as every parallel reduction does.
constexpr int64_t kWarpSize = 32;
/// At most this many outputs: more fill the GPU with a thread each.
constexpr int64_t kWarpReductionMaxOutputs = 65536;
/// At least this many terms per output: fewer are not worth a warp.
constexpr int64_t kWarpReductionMinTerms = 64;

/// The combiner `acc (op) term` of a reduction body whose only use of the
/// accumulator `acc` is that one operation, which the body yields; with the
/// value it starts a partial result from. Null if the body is not one.
std::pair<Operation *, TypedAttr> findCombiner(Block *body,
                                               BlockArgument acc) {
  Operation *yield = body->getTerminator();
  if (yield->getNumOperands() != 1 || !acc.hasOneUse())
    return {};
  Operation *combiner = yield->getOperand(0).getDefiningOp();
  if (!combiner || *acc.getUsers().begin() != combiner ||
      combiner->getNumOperands() != 2 || combiner->getBlock() != body)
    return {};
  auto type = dyn_cast<FloatType>(acc.getType());
  if (!type)
    return {};
  const llvm::fltSemantics &sem = type.getFloatSemantics();
  auto value = [&](APFloat v) -> TypedAttr { return FloatAttr::get(type, v); };
  if (isa<arith::AddFOp>(combiner))
    return {combiner, value(APFloat::getZero(sem))};
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner))
    return {combiner, value(APFloat::getInf(sem, /*Negative=*/true))};
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(combiner))
    return {combiner, value(APFloat::getInf(sem, /*Negative=*/false))};
  return {};
}

LogicalResult lowerToWarps(linalg::LinalgOp op,
                           const gcomp::OutputStart &start) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return failure();
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t outputs = 1, terms = 1;
  SmallVector<int64_t> parallel, reduction;
  for (auto [d, size] : llvm::enumerate(sizes)) {
    if (ShapedType::isDynamic(size))
      return failure();
    bool isParallel = iterators[d] == utils::IteratorType::parallel;
    (isParallel ? outputs : terms) *= size;
    (isParallel ? parallel : reduction).push_back(d);
  }
  if (outputs > kWarpReductionMaxOutputs || terms < kWarpReductionMinTerms)
    return failure();
  Block *body = op.getBlock();
  OpOperand &init = *op.getDpsInitsMutable().begin();
  BlockArgument accArg = body->getArgument(init.getOperandNumber());
  auto [combinerOp, identity] = findCombiner(body, accArg);
  Operation *combiner = combinerOp;
  if (!combiner)
    return failure();

  OpBuilder b(op);
  Location loc = op.getLoc();
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  // The parallel dims, then the lane, innermost: a warp's 32 consecutive
  // threads share one output.
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d : parallel) {
    lbs.push_back(index(0));
    ubs.push_back(index(sizes[d]));
    steps.push_back(index(1));
  }
  lbs.push_back(index(0));
  ubs.push_back(index(kWarpSize));
  steps.push_back(index(1));
  auto loop = scf::ParallelOp::create(b, loc, lbs, ubs, steps);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  int64_t numLoops = sizes.size();
  SmallVector<Value> ivs(numLoops);
  for (auto [k, d] : llvm::enumerate(parallel))
    ivs[d] = loop.getInductionVars()[k];
  Value lane = loop.getInductionVars().back();

  // The lane's partial result over terms lane, lane + 32, ...
  SmallVector<Value> reductionCounts;
  for (int64_t d : reduction)
    reductionCounts.push_back(index(sizes[d]));
  Value identityValue = arith::ConstantOp::create(b, loc, identity);
  auto fold = scf::ForOp::create(b, loc, lane, index(terms), index(kWarpSize),
                                 ValueRange{identityValue});
  b.setInsertionPointToStart(fold.getBody());
  for (auto [d, iv] : llvm::zip(reduction,
                                gcomp::delinearize(b, loc, fold.getInductionVar(),
                                                   reductionCounts)))
    ivs[d] = iv;
  scf::YieldOp::create(
      b, loc, emitBody(b, loc, op, ivs, fold.getRegionIterArgs()));
  b.setInsertionPointAfter(fold);

  // The warp's partials, combined by a butterfly of shuffles.
  Value termValue = combiner->getOperand(0) == accArg
                        ? combiner->getOperand(1)
                        : combiner->getOperand(0);
  auto combine = [&](Value accumulated, Value term) {
    IRMapping m;
    m.map(accArg, accumulated);
    m.map(termValue, term);
    return b.clone(*combiner, m)->getResult(0);
  };
  // A shuffle moves 32 bits: f16 and bf16 partials travel as f32 (exactly:
  // the round trip changes no value).
  Value partial = fold.getResult(0);
  auto partialType = cast<FloatType>(partial.getType());
  bool widen = partialType.getWidth() < 32;
  for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    Value sent = widen ? arith::ExtFOp::create(b, loc, b.getF32Type(), partial)
                       : partial;
    Value received = gpu::ShuffleOp::create(b, loc, sent, offset,
                                            static_cast<int32_t>(kWarpSize),
                                            gpu::ShuffleMode::XOR)
                         .getShuffleResult();
    if (widen)
      received = arith::TruncFOp::create(b, loc, partialType, received);
    partial = combine(partial, received);
  }

  // Lane 0 folds the warp's result into the output.
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                                      index(0));
  auto store = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
  b.setInsertionPointToStart(store.thenBlock());
  SmallVector<Value> outIvs = ivs;
  for (Value &iv : outIvs)
    if (!iv || llvm::is_contained(reduction, &iv - outIvs.data()))
      iv = index(0);
  SmallVector<Value> indices =
      gcomp::applyIndexingMap(b, loc, op.getMatchingIndexingMap(&init), outIvs);
  Value old = start ? start.at(b, loc, indices)
                    : memref::LoadOp::create(b, loc, init.get(), indices)
                          .getResult();
  memref::StoreOp::create(b, loc, combine(old, partial), init.get(), indices);
  op->erase();
  return success();
}

/// The buffer a memref value is a view of, up to (not through) the
/// memref.views that carve buffers out of the workspace.
Value bufferOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view || isa<memref::ViewOp>(def))
      break;
    v = view.getViewSource();
  }
  return v;
}

/// The `arith.extf` that makes the whole body of a broadcast that widens
/// its input (an f16 bias into an f32 accumulator), or null.
arith::ExtFOp wideningBody(Block *body) {
  if (!body || std::distance(body->begin(), body->end()) != 2)
    return {};
  auto ext = dyn_cast<arith::ExtFOp>(body->front());
  if (!ext || ext.getIn() != body->getArgument(0) ||
      body->getTerminator()->getOperand(0) != ext.getResult())
    return {};
  return ext;
}

/// Whether `op` only broadcasts its one input into its output (a bias into
/// a product's output): all loops parallel, the output indexed by all of
/// them in order, the body yielding the input element (or the element
/// widened by an arith.extf).
bool isBroadcast(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 0 ||
      !isa<MemRefType>(op.getDpsInputOperand(0)->get().getType()) ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      !op.getMatchingIndexingMap(op.getDpsInputOperand(0))
           .isProjectedPermutation(/*allowZeroInResults=*/true))
    return false;
  Block *body = op.getBlock();
  return body && ((std::next(body->begin()) == body->end() &&
                   body->getTerminator()->getOperand(0) ==
                       body->getArgument(0)) ||
                  wideningBody(body));
}

/// The linalg.fill or broadcast right before `op` (but for operations
/// without memory effects) that writes `op`'s only output, which `op` then
/// overwrites entirely without reading it through an input: `op` may start
/// from the fill's value or the broadcast's input instead of loading the
/// output. Null if there is none.
linalg::LinalgOp absorbableInitializer(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      isa<linalg::FillOp>(op) || !outputsAreParallel(op))
    return {};
  OpOperand &init = *op.getDpsInitsMutable().begin();
  AffineMap map = op.getMatchingIndexingMap(&init);
  if (!map.isProjectedPermutation() ||
      map.getNumResults() != op.getNumParallelLoops())
    return {};
  Value buffer = bufferOf(init.get());
  for (OpOperand *input : op.getDpsInputOperands())
    if (isa<MemRefType>(input->get().getType()) &&
        bufferOf(input->get()) == buffer)
      return {};
  // Back to the initializer, over operations without memory effects and
  // a few linalg ops on other buffers (a split product's partial sums sit
  // between the bias broadcast and the sum that adds them to it).
  constexpr int kMaxOpsBetween = 4;
  SmallVector<linalg::LinalgOp> between;
  Operation *previous = op->getPrevNode();
  for (; previous; previous = previous->getPrevNode()) {
    if (isMemoryEffectFree(previous))
      continue;
    auto linalgOp = dyn_cast<linalg::LinalgOp>(previous);
    if (!linalgOp || !linalgOp.hasPureBufferSemantics())
      return {};
    if (linalgOp.getNumDpsInits() == 1 &&
        linalgOp.getDpsInitOperand(0)->get() == init.get())
      break;
    if (static_cast<int>(between.size()) == kMaxOpsBetween ||
        llvm::any_of(previous->getOperands(), [&](Value v) {
          return isa<MemRefType>(v.getType()) && bufferOf(v) == buffer;
        }))
      return {};
    between.push_back(linalgOp);
  }
  auto initializer = dyn_cast_or_null<linalg::LinalgOp>(previous);
  if (!initializer ||
      (!isa<linalg::FillOp>(previous) && !isBroadcast(initializer)))
    return {};
  if (isa<linalg::FillOp>(previous))
    return initializer;
  // A broadcast's input must still hold its values when `op` runs.
  Value source = bufferOf(initializer.getDpsInputOperand(0)->get());
  if (source == buffer)
    return {};
  for (linalg::LinalgOp other : between)
    for (OpOperand &written : other.getDpsInitsMutable())
      if (bufferOf(written.get()) == source)
        return {};
  return initializer;
}

/// The buffer `v` is a row-major view of through reshapes only (memref
/// reshape, expand_shape, collapse_shape of identity layouts), up to the
/// memref.view that carves it out of the workspace: an element's linear
/// index is then the same in `v` and in the buffer. Null when some view on
/// the way is not such a reshape (a subview).
Value reshapedBufferOf(Value v) {
  auto identity = [](Value x) {
    auto type = dyn_cast<MemRefType>(x.getType());
    return type && type.hasStaticShape() && type.getLayout().isIdentity();
  };
  if (!identity(v))
    return {};
  while (Operation *def = v.getDefiningOp()) {
    if (isa<memref::ViewOp>(def))
      break;
    if (!isa<memref::ReshapeOp, memref::ExpandShapeOp,
             memref::CollapseShapeOp>(def))
      return {};
    v = def->getOperand(0);
    if (!identity(v))
      return {};
  }
  return v;
}

/// Whether the buffers behind `a` and `b` may share bytes. Views of the
/// workspace at constant offsets are compared by their byte ranges;
/// distinct function arguments and constants are taken not to alias.
bool mayOverlap(Value a, Value b) {
  Value x = bufferOf(a), y = bufferOf(b);
  if (x == y)
    return true;
  auto range = [](Value v) -> std::optional<std::pair<int64_t, int64_t>> {
    auto view = v.getDefiningOp<memref::ViewOp>();
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!view || !type || !type.hasStaticShape() ||
        !type.getElementType().isIntOrFloat())
      return std::nullopt;
    std::optional<int64_t> shift = getConstantIntValue(view.getByteShift());
    if (!shift)
      return std::nullopt;
    int64_t bytes = type.getNumElements() *
                    llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    return std::make_pair(*shift, *shift + bytes);
  };
  auto vx = x.getDefiningOp<memref::ViewOp>(),
       vy = y.getDefiningOp<memref::ViewOp>();
  if (vx && vy && vx.getSource() == vy.getSource()) {
    auto rx = range(x), ry = range(y);
    return !rx || !ry || (rx->first < ry->second && ry->first < rx->second);
  }
  auto isArgOrConstant = [](Value v) {
    return isa<BlockArgument>(v) || v.getDefiningOp<memref::GetGlobalOp>();
  };
  // The workspace is an argument of its own: its views and the model's
  // inputs, outputs and weights never share bytes.
  auto workspaceView = [](Value v) {
    auto view = v.getDefiningOp<memref::ViewOp>();
    return view && isa<BlockArgument>(view.getSource());
  };
  return !((isArgOrConstant(x) || workspaceView(x)) &&
           (isArgOrConstant(y) || workspaceView(y)));
}

/// Where absorbed initializers make ops start their outputs.
using OutputStarts = DenseMap<Operation *, gcomp::OutputStart>;

/// Whether `op` writes every element of `buffer` (through one of `names`, a
/// row-major view of all of it) without reading any first: a fill, an
/// all-parallel op whose output is that view in order and whose body does
/// not read the output, or an op that starts its output from an absorbed
/// initializer instead of reading it.
bool overwritesAll(linalg::LinalgOp op, Value buffer,
                   const DenseSet<Value> &names, const OutputStarts &starts) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return false;
  OpOperand *init = op.getDpsInitOperand(0);
  if (!names.contains(init->get()) ||
      reshapedBufferOf(init->get()) != buffer)
    return false;
  for (OpOperand *input : op.getDpsInputOperands())
    if (names.contains(input->get()))
      return false;
  if (starts.count(op.getOperation()))
    return true; // absorbableInitializer checked its output map
  Block *body = op.getBlock();
  return op.getNumReductionLoops() == 0 &&
         op.getMatchingIndexingMap(init).isIdentity() &&
         (!body || body->getArgument(init->getOperandNumber()).use_empty());
}

/// Whether, after `after`, the first op that uses `buffer` (or a view of
/// it) other than to make views overwrites all of it before reading it:
/// the values `buffer` held are then dead once `after` has run.
bool overwrittenBeforeRead(Value buffer, Operation *after,
                           const OutputStarts &starts) {
  DenseSet<Value> names = {buffer};
  // The views made of it before `after` too (the consumer's read).
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers())
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v && user->isBeforeInBlock(after) &&
            names.insert(user->getResult(0)).second)
          worklist.push_back(user->getResult(0));
  }
  for (Operation *op = after->getNextNode(); op; op = op->getNextNode()) {
    bool uses = false;
    op->walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        uses |= names.contains(operand);
    });
    if (!uses)
      continue;
    auto view = dyn_cast<ViewLikeOpInterface>(op);
    if (view && names.contains(view.getViewSource())) {
      names.insert(op->getResult(0));
      continue;
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    return linalgOp && overwritesAll(linalgOp, buffer, names, starts);
  }
  return true;
}

/// The buffers `op`'s body loads from by itself (a padded input read in
/// place, a gather), which are no operands of its own.
SmallVector<Value> bodyLoads(linalg::LinalgOp op) {
  SmallVector<Value> read;
  op->getRegion(0).walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (isa<MemRefType>(v.getType()) &&
          !op->isAncestor(v.getParentRegion()->getParentOp()))
        read.push_back(v);
  });
  return read;
}

/// The element-wise op that can become `producer`'s epilogue (see
/// gcomp::Epilogue): the next op with memory effects after it, a generic
/// with only parallel loops and one output indexed by all of them in
/// order, that reads `producer`'s output through one input indexed the
/// same way, as a row-major view of the same workspace buffer that no one
/// else uses. Its output must not share bytes with what the producer's
/// kernel still reads (its inputs, what its body loads, its start), which
/// the fused kernel overwrites while other blocks read them.
gcomp::Epilogue findEpilogue(linalg::LinalgOp producer,
                             const gcomp::OutputStart &start,
                             const OutputStarts &starts) {
  if (!producer.hasPureBufferSemantics() || producer.getNumDpsInits() != 1 ||
      producer.getNumReductionLoops() == 0)
    return {};
  Value out = producer.getDpsInitOperand(0)->get();
  Value root = reshapedBufferOf(out);
  if (!root || !root.getDefiningOp<memref::ViewOp>())
    return {}; // a model output, or a buffer not indexed row-major
  // Past views (a memref.reshape reads its shape operand, nothing else).
  Operation *next = producer->getNextNode();
  while (next && next->getNumRegions() == 0 &&
         (isMemoryEffectFree(next) || isa<ViewLikeOpInterface>(next)))
    next = next->getNextNode();
  auto consumer = dyn_cast_or_null<linalg::GenericOp>(next);
  if (!consumer || !consumer.hasPureBufferSemantics() ||
      consumer.getNumDpsInits() != 1 || consumer.getNumReductionLoops() != 0)
    return {};
  OpOperand *consumerOut = consumer.getDpsInitOperand(0);
  Block *body = consumer.getBlock();
  if (!consumer.getMatchingIndexingMap(consumerOut).isIdentity() ||
      !cast<MemRefType>(consumerOut->get().getType()).hasStaticShape() ||
      !body->getArgument(consumerOut->getOperandNumber()).use_empty() ||
      llvm::any_of(*body, [](Operation &inner) {
        return inner.getNumRegions() != 0;
      }))
    return {};
  gcomp::Epilogue epilogue;
  // What the consumer's body loads by itself must not be the producer's
  // output, which the fused kernel never writes.
  for (Value read : bodyLoads(consumer))
    if (mayOverlap(read, root))
      return {};
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    if (!isa<MemRefType>(input->get().getType()))
      continue;
    if (reshapedBufferOf(input->get()) == root) {
      if (epilogue.read ||
          !consumer.getMatchingIndexingMap(input).isIdentity())
        return {};
      epilogue.read = input;
    } else if (mayOverlap(input->get(), root)) {
      return {};
    }
  }
  if (!epilogue.read ||
      cast<MemRefType>(out.getType()).getNumElements() !=
          cast<MemRefType>(consumerOut->get().getType()).getNumElements())
    return {};
  // No one else reads the producer's output: after the consumer, the next
  // op that touches its buffer (the planner hands a dead buffer, even its
  // very memref.view, to later values) overwrites all of it.
  if (!overwrittenBeforeRead(root, consumer, starts))
    return {};
  Value written = consumerOut->get();
  for (OpOperand *input : producer.getDpsInputOperands())
    if (isa<MemRefType>(input->get().getType()) &&
        mayOverlap(input->get(), written))
      return {};
  for (Value read : bodyLoads(producer))
    if (mayOverlap(read, written))
      return {};
  if (start.source && mayOverlap(start.source, written))
    return {};
  epilogue.consumer = consumer;
  epilogue.producerShape =
      llvm::to_vector(cast<MemRefType>(out.getType()).getShape());
  return epilogue;
}

struct LinalgToGpuLoopsPass
    : gcomp::impl::GcompLinalgToGpuLoopsBase<LinalgToGpuLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    // Fills and broadcasts that only initialize the next op's output: that
    // op starts from the fill's value or the broadcast's input instead (one
    // kernel, and one pass over memory, less).
    OutputStarts starts;
    DenseSet<Operation *> absorbed; // erased: compared, never dereferenced
    for (linalg::LinalgOp op : ops) {
      if (absorbed.count(op.getOperation()))
        continue;
      linalg::LinalgOp initializer = absorbableInitializer(op);
      if (!initializer)
        continue;
      gcomp::OutputStart start;
      if (auto fill = dyn_cast<linalg::FillOp>(initializer.getOperation())) {
        start.scalar = fill.getInputs().front();
      } else {
        OpOperand *input = initializer.getDpsInputOperand(0);
        start.source = input->get();
        start.sourceMap = initializer.getMatchingIndexingMap(input);
        if (arith::ExtFOp ext = wideningBody(initializer.getBlock()))
          start.widenTo = ext.getType();
      }
      starts[op] = start;
      absorbed.insert(initializer);
      initializer->erase();
    }
    for (linalg::LinalgOp op : ops) {
      if (absorbed.count(op.getOperation()))
        continue;
      gcomp::OutputStart start = starts.lookup(op);
      gcomp::Epilogue epilogue =
          epilogues ? findEpilogue(op, start, starts) : gcomp::Epilogue();
      // The views between the two (of the consumer's other inputs, say)
      // move above the producer, whose kernel will use them.
      if (epilogue)
        for (Operation *between = op->getNextNode();
             between != epilogue.consumer.getOperation();) {
          Operation *following = between->getNextNode();
          between->moveBefore(op);
          between = following;
        }
      // The consumer now runs in `op`'s kernel.
      auto fuse = [&] {
        if (!epilogue)
          return;
        absorbed.insert(epilogue.consumer.getOperation());
        epilogue.consumer->erase();
      };
      if (tileContractions &&
          succeeded(gcomp::lowerToTiledContraction(
              op, start, gcomp::TensorCoreOptions{allowTf32, halfTensorCores},
              epilogue))) {
        fuse();
        continue;
      }
      if (!op.hasPureBufferSemantics() || !outputsAreParallel(op))
        continue;
      if (warpReductions && succeeded(lowerToWarps(op, start)))
        continue;
      if (succeeded(lower(op, start, epilogue)))
        fuse();
      else
        assert(!start && "an op that absorbed its initializer must be "
                         "lowered");
    }
  }
};

} // namespace

void gcomp::Epilogue::store(OpBuilder &b, Location loc, Value value,
                            ArrayRef<Value> indices) const {
  linalg::LinalgOp consumer = this->consumer; // its accessors are not const
  OpOperand *out = consumer.getDpsInitOperand(0);
  auto outType = cast<MemRefType>(out->get().getType());
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // The consumer's element with the same linear index.
  SmallVector<Value> ivs(indices);
  if (outType.getShape() != ArrayRef<int64_t>(producerShape)) {
    Value linear = index(0);
    for (auto [i, size] : llvm::zip(indices, producerShape))
      linear = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, linear, index(size)), i);
    SmallVector<Value> counts;
    for (int64_t size : outType.getShape())
      counts.push_back(index(size));
    ivs = delinearize(b, loc, linear, counts);
  }
  // findEpilogue checked that the body does not read the output.
  Value result = emitBody(b, loc, consumer, ivs, /*outputs=*/{}, read, value)
                     .front();
  memref::StoreOp::create(b, loc, result, out->get(), ivs);
}
