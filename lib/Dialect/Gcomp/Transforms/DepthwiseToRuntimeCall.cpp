//===- DepthwiseToRuntimeCall.cpp - depthwise convs via the runtime -------===//

#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPDEPTHWISETORUNTIMECALL
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// A contiguous static f32 buffer of rank 5 (its shape), or nullopt.
std::optional<ArrayRef<int64_t>> contiguous5D(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() != 5 || !type.getElementType().isF32() ||
      !type.hasStaticShape() || !type.getLayout().isIdentity())
    return std::nullopt;
  return type.getShape();
}

/// A contiguous static f32 buffer of rank 4 (its shape), or nullopt.
std::optional<ArrayRef<int64_t>> contiguous4D(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() != 4 || !type.getElementType().isF32() ||
      !type.hasStaticShape() || !type.getLayout().isIdentity())
    return std::nullopt;
  return type.getShape();
}

/// How a padded input was made: `padded` is an allocation that one op
/// fills with zeros and one copy fills the interior of, from `source`, at
/// `offsets`. The conv then reads `source` and pads implicitly, and those
/// ops go away.
struct ZeroPadding {
  Value source;
  int64_t top = 0, left = 0;
  SmallVector<Operation *> ops; // fill, subview, copy
};

bool isZeroFill(Operation *op, Value buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getOutputs()[0] == buffer &&
           matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  if (auto map = dyn_cast<linalg::MapOp>(op)) {
    if (map.getInit() != buffer || !map.getInputs().empty())
      return false;
    auto yield = cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
    return matchPattern(yield.getOperand(0), m_AnyZeroFloat());
  }
  return false;
}

std::optional<ZeroPadding> zeroPadding(Value padded, Operation *conv) {
  auto alloc = padded.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return std::nullopt;
  ZeroPadding pad;
  Operation *fill = nullptr;
  for (Operation *user : padded.getUsers()) {
    if (user == conv || isa<memref::DeallocOp>(user))
      continue;
    if (isZeroFill(user, padded) && !fill) {
      fill = user;
      continue;
    }
    auto view = dyn_cast<memref::SubViewOp>(user);
    if (!view || pad.source || !view->hasOneUse())
      return std::nullopt;
    auto copy = dyn_cast<linalg::CopyOp>(*view->getUsers().begin());
    if (!copy || copy.getOutputs()[0] != view.getResult() ||
        !contiguous4D(copy.getInputs()[0]) ||
        llvm::any_of(view.getStaticStrides(), [](int64_t s) { return s != 1; }))
      return std::nullopt;
    ArrayRef<int64_t> offsets = view.getStaticOffsets();
    if (offsets.size() != 4 || offsets[0] != 0 || offsets[3] != 0 ||
        llvm::any_of(offsets, ShapedType::isDynamic))
      return std::nullopt;
    pad.source = copy.getInputs()[0];
    pad.top = offsets[1];
    pad.left = offsets[2];
    pad.ops = {view, copy};
  }
  if (!fill || !pad.source)
    return std::nullopt;
  // The fill must come before the copy, the copy before the conv, and the
  // source must still hold its values when the conv runs: nothing between
  // them may touch it (bufferization reuses a dead input's buffer, often for
  // the conv's own output).
  Operation *copy = pad.ops[1];
  if (!fill->isBeforeInBlock(copy) || !copy->isBeforeInBlock(conv) ||
      fill->getBlock() != conv->getBlock())
    return std::nullopt;
  Value root = rootOf(pad.source);
  auto touches = [&](Operation *op) {
    return llvm::any_of(op->getOperands(),
                        [&](Value v) { return rootOf(v) == root; });
  };
  if (rootOf(cast<linalg::GenericOp>(conv).getDpsInits()[0]) == root)
    return std::nullopt;
  for (Operation *op = copy->getNextNode(); op != conv; op = op->getNextNode())
    if (touches(op))
      return std::nullopt;
  pad.ops.insert(pad.ops.begin(), fill);
  return pad;
}

/// The linalg ops on buffers marked `attr` by the conv lowering.
SmallVector<linalg::GenericOp> markedConvs(ModuleOp module, StringRef attr) {
  SmallVector<linalg::GenericOp> marked;
  module.walk([&](linalg::GenericOp op) {
    if (op->hasAttr(attr) && op.hasPureBufferSemantics() &&
        op.getNumDpsInputs() == 2 && op.getNumDpsInits() == 1)
      marked.push_back(op);
  });
  return marked;
}

/// Replaces `op` with a call of the runtime's `name` on the integers
/// `sizes`, then the addresses of `buffers`.
void replaceWithCall(linalg::GenericOp op, StringRef name,
                     ArrayRef<int64_t> sizes, ValueRange buffers) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Value> args;
  for (int64_t v : sizes)
    args.push_back(arith::ConstantIntOp::create(b, loc, b.getI64Type(), v));
  for (Value buffer : buffers)
    args.push_back(addressAsI64(b, loc, buffer));
  func::FuncOp callee = declareRuntimeFunction(
      op->getParentOfType<ModuleOp>(), name, args.size(), loc);
  func::CallOp::create(b, loc, callee, args);
  op.erase();
}

struct DepthwiseToRuntimeCallPass
    : gcomp::impl::GcompDepthwiseToRuntimeCallBase<DepthwiseToRuntimeCallPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    rewriteChannelsLast(module);
    for (linalg::GenericOp op : markedConvs(module, kDepthwiseConvAttr)) {
      auto window = dyn_cast<DenseI64ArrayAttr>(op->getAttr(kDepthwiseConvAttr));
      auto in = contiguous5D(op.getDpsInputs()[0]);
      auto w = contiguous5D(op.getDpsInputs()[1]);
      auto out = contiguous5D(op.getDpsInits()[0]);
      if (!window || window.size() != 4 || !in || !w || !out)
        continue;
      ArrayRef<int64_t> s = window.asArrayRef();
      replaceWithCall(op, GCOMP_SYM_DWCONV2D,
                      {(*in)[0] * (*in)[1], (*in)[1], (*in)[3], (*in)[4],
                       (*w)[3], (*w)[4], s[0], s[1], s[2], s[3], (*out)[3],
                       (*out)[4]},
                      {op.getDpsInputs()[0], op.getDpsInputs()[1],
                       op.getDpsInits()[0]});
    }
  }

  /// Channels-last depthwise convs: __gcomp_dwconv2d_nhwc, reading the
  /// unpadded input where the padding is recognizable.
  void rewriteChannelsLast(ModuleOp module) {
    for (linalg::GenericOp op : markedConvs(module, kDepthwiseNhwcConvAttr)) {
      auto window = dyn_cast<DenseI64ArrayAttr>(op->getAttr(kDepthwiseNhwcConvAttr));
      Value input = op.getDpsInputs()[0];
      auto in = contiguous4D(input);
      auto w = contiguous4D(op.getDpsInputs()[1]);
      auto out = contiguous4D(op.getDpsInits()[0]);
      if (!window || window.size() != 4 || !in || !w || !out)
        continue;
      std::optional<ZeroPadding> pad = zeroPadding(input, op);
      int64_t top = 0, left = 0;
      ArrayRef<int64_t> inShape = *in;
      if (pad) {
        input = pad->source;
        inShape = *contiguous4D(input);
        top = pad->top;
        left = pad->left;
      }
      ArrayRef<int64_t> s = window.asArrayRef();
      Value padded = op.getDpsInputs()[0];
      replaceWithCall(op, GCOMP_SYM_DWCONV2D_NHWC,
                      {inShape[0], inShape[1], inShape[2], inShape[3], (*w)[0],
                       (*w)[1], s[0], s[1], s[2], s[3], top, left, (*out)[1],
                       (*out)[2]},
                      {input, op.getDpsInputs()[1], op.getDpsInits()[0]});
      if (!pad)
        continue;
      for (Operation *dead : llvm::reverse(pad->ops))
        dead->erase();
      // The padded buffer is now only deallocated: drop it.
      if (llvm::all_of(padded.getUsers(),
                       [](Operation *u) { return isa<memref::DeallocOp>(u); })) {
        for (Operation *u : llvm::make_early_inc_range(padded.getUsers()))
          u->erase();
        padded.getDefiningOp()->erase();
      }
    }
  }
};

} // namespace
