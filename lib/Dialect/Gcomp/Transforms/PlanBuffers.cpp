//===- PlanBuffers.cpp - every intermediate buffer in one workspace -------===//
//
// After bufferization the entry function is one block: allocations, kernel
// calls, views, deallocations at the end. Knowing the whole sequence, the
// compiler can do what an allocator cannot: give two buffers the same bytes
// whenever their lifetimes do not overlap, and size the total ahead of
// time, so that the runtime allocates it once per model instance and a run
// allocates nothing.
//
//===----------------------------------------------------------------------===//

#include "AbiGlobals.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPPLANBUFFERS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// Every buffer starts on a cache line (and on the widest vector register).
constexpr int64_t kBufferAlignment = 64;

struct PlannedBuffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t alignment = kBufferAlignment;
  /// Positions, in the entry block, of the first and last operation that
  /// touches the buffer (inclusive).
  int64_t first = 0, last = 0;
  SmallVector<memref::DeallocOp> deallocs;
  int64_t offset = 0;

  bool overlapsInTime(const PlannedBuffer &other) const {
    return first <= other.last && other.first <= last;
  }
};

int64_t alignTo(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// The size in bytes of a static allocation we can place, or nullopt.
std::optional<int64_t> plannableBytes(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace() || !alloc.getSymbolOperands().empty())
    return std::nullopt;
  Type element = type.getElementType();
  if (!element.isIntOrFloat())
    return std::nullopt;
  // Sub-byte types (i1) take a byte each in LLVM's memory layout.
  int64_t elementBytes = (element.getIntOrFloatBitWidth() + 7) / 8;
  return type.getNumElements() * elementBytes;
}

/// Finds the operations of `body` that touch the buffer of `alloc`, through
/// any value derived from it: views, casts, extracted pointers and the
/// integers computed from them (generated code passes buffers to the
/// runtime as integers). Anything computed from the buffer may alias it, so
/// it is followed; this only ever lengthens a lifetime. Fails when the
/// buffer escapes the block (returned, or used outside the entry).
LogicalResult findLifetime(Block &body,
                           const DenseMap<Operation *, int64_t> &position,
                           PlannedBuffer &buffer) {
  buffer.first = std::numeric_limits<int64_t>::max();
  buffer.last = -1;
  SmallVector<Value> worklist{buffer.alloc.getResult()};
  DenseSet<Value> seen(worklist.begin(), worklist.end());
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top || isa<func::ReturnOp>(top))
        return failure();
      // Its deallocation goes with the allocation, whichever view it frees.
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
        buffer.deallocs.push_back(dealloc);
        continue;
      }
      int64_t at = position.lookup(top);
      buffer.first = std::min(buffer.first, at);
      buffer.last = std::max(buffer.last, at);
      for (Operation *op = user; op != top->getParentOp();
           op = op->getParentOp())
        for (Value result : op->getResults())
          if (seen.insert(result).second)
            worklist.push_back(result);
    }
  }
  if (buffer.last < 0) // never used: it still needs a distinct address
    buffer.first = buffer.last = position.lookup(buffer.alloc);
  return success();
}

/// Greedy by size: the largest buffer first, each at the lowest aligned
/// offset where it fits beside every already placed buffer that is live at
/// the same time. Returns the total size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &buffer : buffers)
    order.push_back(&buffer);
  // Ties in program order (the array's order), so the plan is
  // deterministic.
  llvm::sort(order, [](PlannedBuffer *a, PlannedBuffer *b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes : a < b;
  });
  SmallVector<PlannedBuffer *> placed;
  int64_t total = 0;
  for (PlannedBuffer *buffer : order) {
    SmallVector<PlannedBuffer *> neighbours;
    for (PlannedBuffer *other : placed)
      if (other->overlapsInTime(*buffer))
        neighbours.push_back(other);
    llvm::sort(neighbours, [](PlannedBuffer *a, PlannedBuffer *b) {
      return a->offset < b->offset;
    });
    int64_t offset = 0;
    for (PlannedBuffer *other : neighbours) {
      if (offset + buffer->bytes <= other->offset)
        break;
      offset = std::max(offset, alignTo(other->offset + other->bytes,
                                        buffer->alignment));
    }
    buffer->offset = offset;
    total = std::max(total, offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return alignTo(total, kBufferAlignment);
}

/// The most bytes live at any one operation: no plan can do better.
int64_t liveLowerBound(ArrayRef<PlannedBuffer> buffers) {
  std::map<int64_t, int64_t> delta;
  for (const PlannedBuffer &buffer : buffers) {
    delta[buffer.first] += buffer.bytes;
    delta[buffer.last + 1] -= buffer.bytes;
  }
  int64_t live = 0, peak = 0;
  for (auto [at, change] : delta) {
    live += change;
    peak = std::max(peak, live);
  }
  return peak;
}

struct PlanBuffersPass : gcomp::impl::GcompPlanBuffersBase<PlanBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal()) {
      module.emitError() << "gcomp-plan-buffers: no entry function '"
                         << entryName << "' with a body";
      return signalPassFailure();
    }
    if (!entry.getBody().hasOneBlock()) {
      entry.emitError() << "gcomp-plan-buffers expects a straight-line entry "
                           "function (one block), found "
                        << entry.getBody().getBlocks().size() << " blocks";
      return signalPassFailure();
    }
    for (BlockArgument arg : entry.getArguments())
      if (entry.getArgAttr(arg.getArgNumber(), kWorkspaceArgAttr)) {
        entry.emitError() << "the entry already has a workspace (argument "
                          << arg.getArgNumber() << ")";
        return signalPassFailure();
      }

    Block &body = entry.getBody().front();
    DenseMap<Operation *, int64_t> position;
    for (auto [index, op] : llvm::enumerate(body))
      position[&op] = index;

    SmallVector<PlannedBuffer> buffers;
    for (auto alloc : body.getOps<memref::AllocOp>()) {
      std::optional<int64_t> bytes = plannableBytes(alloc);
      if (!bytes)
        continue;
      PlannedBuffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = *bytes;
      buffer.alignment = std::max<int64_t>(
          kBufferAlignment, alloc.getAlignment().value_or(1));
      if (failed(findLifetime(body, position, buffer)))
        continue;
      buffers.push_back(std::move(buffer));
    }

    int64_t naive = 0;
    for (const PlannedBuffer &buffer : buffers)
      naive += buffer.bytes;
    int64_t lowerBound = liveLowerBound(buffers);
    int64_t total = assignOffsets(buffers);

    // The workspace: a new last argument of the entry.
    MLIRContext *context = module.getContext();
    OpBuilder b(context);
    auto workspaceType =
        MemRefType::get({total}, IntegerType::get(context, 8));
    unsigned workspaceIndex = entry.getNumArguments();
    if (failed(entry.insertArgument(
            workspaceIndex, workspaceType,
            b.getDictionaryAttr(
                b.getNamedAttr(kWorkspaceArgAttr, b.getUnitAttr())),
            entry.getLoc()))) {
      entry.emitError() << "cannot add the workspace argument";
      return signalPassFailure();
    }
    Value workspace = entry.getArgument(workspaceIndex);

    for (PlannedBuffer &buffer : buffers) {
      b.setInsertionPoint(buffer.alloc);
      Location loc = buffer.alloc.getLoc();
      Value shift = arith::ConstantIndexOp::create(b, loc, buffer.offset);
      Value view = memref::ViewOp::create(b, loc, buffer.alloc.getType(),
                                          workspace, shift, ValueRange{});
      buffer.alloc.replaceAllUsesWith(view);
      for (memref::DeallocOp dealloc : buffer.deallocs)
        dealloc.erase();
      buffer.alloc.erase();
    }

    auto i64 = [&](int64_t v) { return b.getI64IntegerAttr(v); };
    module->setAttr(kWorkspaceBytesAttr, i64(total));
    module->setAttr(kBufferBytesNaiveAttr, i64(naive));
    module->setAttr(kBufferBytesLowerBoundAttr, i64(lowerBound));
    b.setInsertionPointToEnd(module.getBody());
    addAbiTable(b, module.getLoc(), GCOMP_SYM_WORKSPACE_BYTES, {total});
  }
};

} // namespace
