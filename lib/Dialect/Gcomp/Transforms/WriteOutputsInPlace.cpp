//===- WriteOutputsInPlace.cpp - no final copy into the outputs -----------===//
//
// buffer-results-to-out-params writes a returned allocation straight into
// the caller's output buffer, but a returned *view* of one (the graph's
// output is a Reshape or Flatten of what a kernel computed) becomes a copy
// into the output after everything else. Viewing the output argument as
// the allocation instead lets the kernel write the output directly.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPWRITEOUTPUTSINPLACE
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// A dense row-major buffer (its symbolic dims, if any, give its strides).
bool isDense(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity();
}

/// The allocation whose bytes `v` holds in the same order: `v` itself or a
/// chain of reshapes and casts between dense row-major buffers of it.
memref::AllocOp denseSource(Value v) {
  while (isDense(v.getType())) {
    Operation *def = v.getDefiningOp();
    if (auto alloc = dyn_cast_or_null<memref::AllocOp>(def))
      return alloc;
    if (!isa_and_nonnull<memref::ReshapeOp, memref::CollapseShapeOp,
                         memref::ExpandShapeOp, memref::CastOp>(def))
      return {};
    v = def->getOperand(0);
  }
  return {};
}

/// Every use of `v` and of the views derived from it, transitively.
void collectUsers(Value v, SmallVectorImpl<Operation *> &users) {
  for (Operation *user : v.getUsers()) {
    users.push_back(user);
    if (isa<ViewLikeOpInterface>(user))
      for (Value result : user->getResults())
        collectUsers(result, users);
  }
}

struct WriteOutputsInPlacePass
    : gcomp::impl::GcompWriteOutputsInPlaceBase<WriteOutputsInPlacePass> {
  using Base::Base;

  void runOnOperation() override {
    auto entry = getOperation().lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.getBody().empty())
      return;
    Block &body = entry.getBody().front();
    for (memref::CopyOp copy :
         llvm::make_early_inc_range(body.getOps<memref::CopyOp>()))
      rewrite(copy, body);
  }

  void rewrite(memref::CopyOp copy, Block &body) {
    auto output = dyn_cast<BlockArgument>(copy.getTarget());
    if (!output || output.getOwner() != &body || !output.hasOneUse() ||
        !isDense(output.getType()))
      return;
    memref::AllocOp alloc = denseSource(copy.getSource());
    // The copy's operands have one shape, and the views between the
    // allocation and its source keep the element count: a static count
    // is checked anyway, a symbolic one follows.
    if (!alloc)
      return;
    auto allocType = cast<MemRefType>(alloc.getType());
    auto outputType = cast<MemRefType>(output.getType());
    if (alloc->getBlock() != &body ||
        (allocType.hasStaticShape() && outputType.hasStaticShape() &&
         allocType.getNumElements() != outputType.getNumElements()) ||
        allocType.getElementType() != outputType.getElementType())
      return;
    // Nothing may touch the buffer after the copy but its deallocation:
    // from then on it would be the caller's output.
    SmallVector<Operation *> users;
    collectUsers(alloc.getResult(), users);
    SmallVector<Operation *> deallocs;
    for (Operation *user : users) {
      if (isa<memref::DeallocOp>(user)) {
        deallocs.push_back(user);
        continue;
      }
      Operation *top = body.findAncestorOpInBlock(*user);
      if (user != copy && !isa<ViewLikeOpInterface>(user) &&
          (!top || copy->isBeforeInBlock(top)))
        return;
    }

    OpBuilder b(alloc);
    Location loc = alloc.getLoc();
    auto type = cast<MemRefType>(alloc.getType());
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> sizes(rank), strides(rank);
    ValueRange dynamicSizes = alloc.getDynamicSizes();
    for (int64_t d = 0, next = 0; d < rank; ++d)
      sizes[d] = type.isDynamicDim(d)
                     ? OpFoldResult(dynamicSizes[next++])
                     : OpFoldResult(b.getIndexAttr(type.getDimSize(d)));
    // Row-major strides: products of the later dims, static as long as
    // they are.
    OpFoldResult stride = b.getIndexAttr(1);
    for (int64_t d = rank - 1; d >= 0; --d) {
      strides[d] = stride;
      if (d == 0)
        break;
      std::optional<int64_t> x = getConstantIntValue(stride),
                             y = getConstantIntValue(sizes[d]);
      if (x && y) {
        stride = b.getIndexAttr(*x * *y);
        continue;
      }
      stride = arith::MulIOp::create(
                   b, loc, getValueOrCreateConstantIndexOp(b, loc, stride),
                   getValueOrCreateConstantIndexOp(b, loc, sizes[d]))
                   .getResult();
    }
    Value view = memref::ReinterpretCastOp::create(
        b, loc, type, output, b.getIndexAttr(0), sizes, strides);
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    copy->erase();
    alloc.getResult().replaceAllUsesWith(view);
    alloc->erase();
  }
};

} // namespace
